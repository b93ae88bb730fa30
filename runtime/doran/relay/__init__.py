"""NEAR Intents solver relay: JSON-RPC frames, the websocket client, frame feeds and a local relay."""

from __future__ import annotations

from doran.relay._backoff import Backoff
from doran.relay._client import SUBSCRIPTIONS, ReceivedFrame, RelayClient, utc_now
from doran.relay._feeds import FrameFeed, LiveRelayFeed, RecordingFeed, read_recording
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
from doran.relay._simulator import SIMULATED_SUBSCRIPTION_ID, RelaySimulator
from doran.relay.errors import RelayConfigError, RelayError, RelayRejectedError, RelayUnavailableError

__all__ = [
    "DATA_POINTER",
    "EVENT_METHOD",
    "SIMULATED_SUBSCRIPTION_ID",
    "SUBSCRIPTIONS",
    "Backoff",
    "ErrorAnswer",
    "Frame",
    "FrameFeed",
    "LiveRelayFeed",
    "Malformed",
    "Notification",
    "ReceivedFrame",
    "RecordingFeed",
    "RelayClient",
    "RelayConfigError",
    "RelayError",
    "RelayRejectedError",
    "RelaySimulator",
    "RelayUnavailableError",
    "ResultAnswer",
    "parse_frame",
    "read_recording",
    "request_text",
    "utc_now",
]
