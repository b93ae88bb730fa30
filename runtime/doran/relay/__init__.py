"""NEAR Intents solver relay: JSON-RPC frames, the ingest client, the executor's request session, frame
feeds, and a local relay simulator (`doran.relay.simulator`) for tests, the demo and the benchmark."""

from __future__ import annotations

from doran.relay._backoff import Backoff
from doran.relay._client import SUBSCRIPTIONS, ReceivedFrame, RelayClient, Subscription, utc_now
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
from doran.relay._recorder import (
    RecordingFileError,
    RecordingSummary,
    RecordingWriter,
    record_feed,
    record_relay,
)
from doran.relay._recording import (
    RecordingFormatError,
    recorded_frames,
    recording_schedule,
    timed_line,
)
from doran.relay._replay_timing import ReplaySchedule, replay_offsets
from doran.relay._session import Answer, NoAnswer, PendingAnswers, RelaySession
from doran.relay.errors import RelayConfigError, RelayError, RelayRejectedError, RelayUnavailableError
from doran.relay.simulator import SIMULATED_SUBSCRIPTION_ID, RelaySimulator, SimulatorThread

__all__ = [
    "DATA_POINTER",
    "EVENT_METHOD",
    "SIMULATED_SUBSCRIPTION_ID",
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
    "RecordingFeed",
    "RecordingFileError",
    "RecordingFormatError",
    "RecordingSummary",
    "RecordingWriter",
    "RelayClient",
    "RelayConfigError",
    "RelayError",
    "RelayRejectedError",
    "RelaySession",
    "RelaySimulator",
    "RelayUnavailableError",
    "ReplaySchedule",
    "ResultAnswer",
    "SimulatorThread",
    "Subscription",
    "parse_frame",
    "read_recording",
    "record_feed",
    "record_relay",
    "recorded_frames",
    "recording_schedule",
    "replay_offsets",
    "request_text",
    "timed_line",
    "utc_now",
]
