"""What a stateful stage's core decides for each record it consumed: exactly one verdict.

- `Publish(events)`  produce these events (in the transaction that commits the record's offset)
- `Skip(reason)`     nothing to produce: the record was handled before (a duplicate, a redelivery)
- `Refuse(reason, violations)`  the record cannot be handled: it becomes a dead letter
- `Keep(reason)`     nothing to produce yet: the record is kept in the stage's state until what it
  waits for comes (the settlement stage: a quote awaiting its status, a status awaiting its quote)

The core decides; the stage only encodes the verdict into records and runs the transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from doran.contracts import DeadLetterReason, Envelope, Violation

__all__ = ["Event", "Keep", "Publish", "Refuse", "Skip", "Verdict"]

#: An event as its model, or as its JSON object when built without validating it again
#: (`doran.wire.event_object`, on a per-message path proven by property tests).
Event = Envelope | Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Publish:
    """Produce `events`, in order."""

    events: tuple[Event, ...]


@dataclass(frozen=True, slots=True)
class Skip:
    """Produce nothing: the record was handled already."""

    reason: str


@dataclass(frozen=True, slots=True)
class Refuse:
    """Dead-letter the record, with why and where (JSON pointers)."""

    reason: DeadLetterReason
    violations: tuple[Violation, ...]


@dataclass(frozen=True, slots=True)
class Keep:
    """Produce nothing yet: the record waits in the stage's state."""

    reason: str


Verdict = Publish | Skip | Refuse | Keep
