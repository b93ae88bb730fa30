"""Ingest stage: relay frames -> raw.near_intents.quote; every frame that is not a quote -> dlq.doran.

Core: `ingest_frame` maps one received frame to at most one outbound record (pure, time injected).
Shell: `IngestSource`, a Quix Streams Source running a frame feed (live relay or a recording) in
its subprocess; `build_ingest_app`, `run_ingest` and `replay` wire it to a broker.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Callable, Mapping
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from quixstreams import Application
from quixstreams.sources import Source
from quixstreams.sources.base.exceptions import SourceException

from doran.broker import quix_topic_config
from doran.contracts import (
    DEAD_LETTER_TOPIC,
    RAW_NEAR_INTENTS_QUOTE,
    TOPICS,
    DeadLetterReason,
    DeadLetterStage,
    NearIntentsQuoteRawEvent,
)
from doran.errors import DoranError
from doran.relay import (
    FrameFeed,
    LiveRelayFeed,
    ReceivedFrame,
    RecordingFeed,
    RejectedFrame,
    RelayErrorResponse,
    SubscribeAck,
    classify_frame,
    mint_quote_envelope,
    utc_now,
)
from doran.settings import Settings
from doran.stages.counters import StageCounters
from doran.stages.dead_letter import dead_letter
from doran.stages.outbound import Outbound, outbound
from doran.stages.quix_stage import quix_application
from doran.wire import ContractViolation

__all__ = [
    "FrameOutcome",
    "IngestConfigError",
    "IngestCounters",
    "IngestCounts",
    "IngestSource",
    "build_ingest_app",
    "ingest_frame",
    "replay",
    "run_ingest",
]

_STAGE = "ingest"
_MAX_FEED_NAME = 249  # the dead-letter schema's source_topic maxLength


class IngestConfigError(DoranError):
    """The ingest stage cannot start: no broker, a bad feed name, or no recording at the given path."""


@dataclass(frozen=True, slots=True)
class FrameOutcome:
    """What one frame became: a protocol frame (nothing to produce), a quote, or a dead letter."""

    kind: Literal["protocol", "quote", "dead_letter"]
    record: Outbound | None
    reason: DeadLetterReason | None = None


Violations = list[tuple[str, str]]


def _dead_letter(
    frame: ReceivedFrame, reason: DeadLetterReason, violations: Violations, feed: str, now: datetime
) -> FrameOutcome:
    original = frame.text if isinstance(frame.text, bytes) else frame.text.encode("utf-8")
    # A venue feed has no partition or offset: the id derives from the feed and the bytes, so
    # replaying a recording mints no new dead-letter ids either.
    record = dead_letter(
        DeadLetterStage.INGEST,
        reason,
        violations,
        source_topic=feed,
        partition=None,
        offset=None,
        key=None,
        value=original,
        now=now,
    )
    return FrameOutcome("dead_letter", record, reason)


def ingest_frame(frame: ReceivedFrame, *, feed: str, now: datetime) -> FrameOutcome:
    """Map one relay frame to its outcome; never raises for any frame content.

    `feed` names where frames come from (at most 249 characters): the quote envelopes' source and
    the dead letters' source_topic.
    """
    classified = classify_frame(frame.text)
    if isinstance(classified, SubscribeAck):
        return FrameOutcome("protocol", None)
    if isinstance(classified, RejectedFrame):
        reason = DeadLetterReason(classified.reason)
        return _dead_letter(frame, reason, list(classified.violations), feed, now)
    if isinstance(classified, RelayErrorResponse):
        text = f"The relay answered request {classified.request_id!r} with error {classified.code}: "
        violation = ("/error", text + classified.message)
        return _dead_letter(frame, DeadLetterReason.INVALID_VENUE_MESSAGE, [violation], feed, now)
    observed = frame.observed_at
    envelope = mint_quote_envelope(classified.data, source=feed, observed_at=observed, ingested_at=now)
    event = NearIntentsQuoteRawEvent.model_validate(envelope, strict=True)
    try:
        return FrameOutcome("quote", outbound(RAW_NEAR_INTENTS_QUOTE, event))
    except ContractViolation as exc:  # should the contract ever tighten: kept as a dead letter, not dropped
        found = [(violation.pointer, violation.message) for violation in exc.violations]
        return _dead_letter(frame, DeadLetterReason.OUTPUT_VIOLATION, found, feed, now)


@dataclass(frozen=True, slots=True)
class IngestCounts:
    """Counters of one ingest run: frames read, protocol frames, quotes produced, dead letters by reason."""

    frames_in: int = 0
    protocol_frames: int = 0
    quotes_out: int = 0
    dead_lettered: Mapping[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The counters as plain JSON-ready values."""
        return {
            "frames_in": self.frames_in,
            "protocol_frames": self.protocol_frames,
            "quotes_out": self.quotes_out,
            "dead_lettered": dict(self.dead_lettered),
        }


_REASONS = tuple(DeadLetterReason)
_KIND_SLOTS = {"protocol": 1, "quote": 2}


class IngestCounters:
    """Counters shared with the Source subprocess (shared memory), readable by the caller at any time."""

    def __init__(self) -> None:
        # The spawn context matches Quix Streams' source processes; the array travels with the source.
        self._values = multiprocessing.get_context("spawn").Array("q", 3 + len(_REASONS))

    def record(self, outcome: FrameOutcome) -> None:
        """Count one frame and what it became."""
        with self._values.get_lock():
            self._values[0] += 1
            if outcome.kind == "dead_letter" and outcome.reason is not None:
                self._values[3 + _REASONS.index(outcome.reason)] += 1
            else:
                self._values[_KIND_SLOTS[outcome.kind]] += 1

    def snapshot(self) -> IngestCounts:
        """The counters as of now."""
        with self._values.get_lock():
            values: list[int] = self._values[:]
        dead = {reason.value: count for reason, count in zip(_REASONS, values[3:], strict=True) if count}
        return IngestCounts(values[0], values[1], values[2], dead)


def _mirror(stats: StageCounters, outcome: FrameOutcome) -> None:
    """Count a frame in the stats file every stage writes; protocol frames are not messages there."""
    if outcome.kind == "protocol":
        return
    stats.consumed()
    if outcome.kind == "quote":
        stats.produced()
    elif outcome.reason is not None:
        stats.dead_lettered(outcome.reason.value)


class IngestSource(Source):
    """Runs a frame feed in the Source subprocess and produces each outcome's record."""

    def __init__(
        self,
        feed: FrameFeed,
        *,
        counters: IngestCounters | None = None,
        stats_dir: Path | None = None,
        clock: Callable[[], datetime] = utc_now,
        name: str = "doran-ingest",
    ) -> None:
        super().__init__(name=name)
        if not 0 < len(feed.name) <= _MAX_FEED_NAME:
            raise IngestConfigError(f"A feed name must have 1 to {_MAX_FEED_NAME} characters: {feed.name!r}")
        self.feed = feed
        self.counters = counters if counters is not None else IngestCounters()
        self._stats_dir = stats_dir
        self._clock = clock

    def run(self) -> None:
        asyncio.run(self._pump())

    async def _pump(self) -> None:
        feed_name = self.feed.name
        stats = StageCounters(_STAGE, self._stats_dir) if self._stats_dir is not None else None
        try:
            async with aclosing(self.feed.frames(lambda: not self.running)) as frames:
                async for frame in frames:
                    outcome = ingest_frame(frame, feed=feed_name, now=self._clock())
                    if (record := outcome.record) is not None:
                        self.producer.produce(
                            topic=record.topic, key=record.key, value=record.value, headers=record.headers
                        )
                    self.counters.record(outcome)
                    if stats is not None:
                        _mirror(stats, outcome)
        finally:
            if stats is not None:
                stats.flush()


def build_ingest_app(
    settings: Settings,
    broker: str | None = None,
    *,
    feed: FrameFeed,
    counters: IngestCounters | None = None,
) -> Application:
    """A Quix Streams app whose only work is an IngestSource over `feed`; creates both topics if missing.

    `broker` defaults to DORAN_BROKER_ADDRESS. Counters also go to `<stats_dir>/ingest.json` like
    every stage's.
    """
    address = broker or settings.broker_address
    if not address:
        raise IngestConfigError("The ingest stage needs a broker: set DORAN_BROKER_ADDRESS.")
    app = quix_application(settings, address, _STAGE, loglevel=None)
    # Declared with the registry's shape, so Quix creates them that way where they do not exist yet.
    dead_letters, raw = TOPICS[DEAD_LETTER_TOPIC], TOPICS[RAW_NEAR_INTENTS_QUOTE]
    app.topic(dead_letters.name, value_serializer="bytes", config=quix_topic_config(dead_letters))
    raw_topic = app.topic(raw.name, value_serializer="bytes", config=quix_topic_config(raw))
    source = IngestSource(feed, counters=counters, stats_dir=settings.stats_dir)
    app.add_source(source, topic=raw_topic)
    return app


def _run(app: Application) -> None:
    try:
        app.run()
    except SourceException as exc:
        # The source failed in its subprocess; surface doran's own error (actionable) when it is one.
        if isinstance(exc.__cause__, DoranError):
            raise exc.__cause__ from exc
        raise


def run_ingest(
    settings: Settings,
    broker: str | None = None,
    *,
    counters: IngestCounters | None = None,
) -> None:
    """Ingest the live relay (DORAN_RELAY_URL, DORAN_RELAY_API_KEY) until stopped (SIGINT/SIGTERM)."""
    feed = LiveRelayFeed(settings.relay_url, settings.relay_api_key)
    _run(build_ingest_app(settings, broker, feed=feed, counters=counters))


def replay(
    path: Path,
    settings: Settings,
    broker: str | None = None,
    *,
    counters: IngestCounters | None = None,
) -> IngestCounts:
    """Feed a JSONL recording of relay frames through the ingest stage; returns the counters when done."""
    if not path.is_file():
        raise IngestConfigError(
            f"No recording at {path}: give a JSONL file of relay frames, e.g. samples/relay-quotes.jsonl."
        )
    counters = counters if counters is not None else IngestCounters()
    app = build_ingest_app(settings, broker, feed=RecordingFeed(path), counters=counters)
    _run(app)
    return counters.snapshot()
