"""NEAR Intents solver relay: frame classes, deterministic quote ids, raw envelopes, websocket client."""

from __future__ import annotations

from doran.relay._backoff import Backoff
from doran.relay._client import ReceivedFrame, RelayClient, utc_now
from doran.relay._feeds import FrameFeed, LiveRelayFeed, RecordingFeed, read_recording
from doran.relay._frames import (
    QUOTE_SUBSCRIPTION,
    Frame,
    QuoteEvent,
    RejectedFrame,
    RelayErrorResponse,
    SubscribeAck,
    classify_frame,
    subscribe_request,
)
from doran.relay._minting import canonical_json, content_id, mint_quote_envelope, quote_event_id, rfc3339_utc
from doran.relay._simulator import SIMULATED_SUBSCRIPTION_ID, RelaySimulator
from doran.relay.errors import RelayConfigError, RelayError, RelayRejectedError, RelayUnavailableError

__all__ = [
    "QUOTE_SUBSCRIPTION",
    "SIMULATED_SUBSCRIPTION_ID",
    "Backoff",
    "Frame",
    "FrameFeed",
    "LiveRelayFeed",
    "QuoteEvent",
    "ReceivedFrame",
    "RecordingFeed",
    "RejectedFrame",
    "RelayClient",
    "RelayConfigError",
    "RelayError",
    "RelayErrorResponse",
    "RelayRejectedError",
    "RelaySimulator",
    "RelayUnavailableError",
    "SubscribeAck",
    "canonical_json",
    "classify_frame",
    "content_id",
    "mint_quote_envelope",
    "quote_event_id",
    "read_recording",
    "rfc3339_utc",
    "subscribe_request",
    "utc_now",
]
