"""NEAR Intents solver relay: JSON-RPC frames, the ingest client, the executor's request session and the
live frame feed. (The relay simulator and the recordings are development tools: `doran.devkit`.)"""

from __future__ import annotations

from doran.relay._backoff import Backoff
from doran.relay._client import SUBSCRIPTIONS, ReceivedFrame, RelayClient, Subscription, utc_now
from doran.relay._feeds import FrameFeed, LiveRelayFeed
from doran.relay._frames import (
    DATA_POINTER,
    EVENT_METHOD,
    ErrorAnswer,
    Frame,
    Malformed,
    Notification,
    ResultAnswer,
    parse_frame,
    request_text,
)
from doran.relay._logging import redacting_logger
from doran.relay._session import Answer, NoAnswer, PendingAnswers, RelaySession
from doran.relay.errors import RelayConfigError, RelayError, RelayRejectedError, RelayUnavailableError

__all__ = [
    "DATA_POINTER",
    "EVENT_METHOD",
    "SUBSCRIPTIONS",
    "Answer",
    "Backoff",
    "ErrorAnswer",
    "Frame",
    "FrameFeed",
    "LiveRelayFeed",
    "Malformed",
    "NoAnswer",
    "Notification",
    "PendingAnswers",
    "ReceivedFrame",
    "RelayClient",
    "RelayConfigError",
    "RelayError",
    "RelayRejectedError",
    "RelaySession",
    "RelayUnavailableError",
    "ResultAnswer",
    "Subscription",
    "parse_frame",
    "redacting_logger",
    "request_text",
    "utc_now",
]
