"""The simulator's records: quote events sent, responses judged, statuses sent, connections, and counts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from doran.devkit.relay_simulator.clock import Instant

__all__ = [
    "OK",
    "ConnectionInfo",
    "PublishedQuote",
    "ReceivedResponse",
    "SentStatus",
    "StatusKind",
    "Summary",
]

#: The verdict text of an accepted response (the relay's `result`).
OK = "OK"
#: Why a quote_status was sent: a settled auction, its duplicate delivery, one for an unknown quote_hash,
#: one a test sent by hand, or one held for an instance while it was away and replayed (guaranteed delivery).
StatusKind = Literal["settlement", "duplicate", "unknown", "manual", "replay"]


@dataclass(frozen=True, slots=True)
class PublishedQuote:
    """A quote event sent at `sent` to `subscribers` connections; `closes_at` (monotonic) ends its auction,
    None when the data had no quote_id to open one."""

    quote_id: str | None
    data: Mapping[str, Any]
    sent: Instant
    subscribers: int
    closes_at: float | None


@dataclass(frozen=True, slots=True)
class ReceivedResponse:
    """A quote_response as received on `connection_id` at `received`, and the verdict on it ("OK" or the
    error text); `answered` is False when the simulator was told not to answer."""

    connection_id: int
    request_id: Any
    quote_id: str | None
    received: Instant
    request: Mapping[str, Any]
    verdict: str
    quote_hash: str | None
    answered: bool

    @property
    def accepted(self) -> bool:
        """Whether the relay answered (or would have answered) "OK"."""
        return self.verdict == OK


@dataclass(frozen=True, slots=True)
class SentStatus:
    """A quote_status event sent at `sent` to `subscribers` connections."""

    kind: StatusKind
    data: Mapping[str, str]
    sent: Instant
    subscribers: int
    quote_id: str | None


@dataclass(frozen=True, slots=True)
class ConnectionInfo:
    """A client connection: its subscriptions (kind -> subscription id) and whether it is still open."""

    connection_id: int
    subscriptions: Mapping[str, str]
    open: bool


@dataclass(frozen=True, slots=True)
class Summary:
    """Counts for the demo: quotes published, responses and their verdicts, statuses sent by kind."""

    quotes_published: int
    raw_frames_sent: int
    responses_received: int
    accepted: int
    refused: Mapping[str, int] = field(default_factory=dict)
    settlements_sent: int = 0
    duplicates_sent: int = 0
    unknown_sent: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The counts as plain JSON-ready values."""
        return {
            "quotes_published": self.quotes_published,
            "raw_frames_sent": self.raw_frames_sent,
            "responses_received": self.responses_received,
            "accepted": self.accepted,
            "refused": dict(self.refused),
            "settlements_sent": self.settlements_sent,
            "duplicates_sent": self.duplicates_sent,
            "unknown_sent": self.unknown_sent,
        }
