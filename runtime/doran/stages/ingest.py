"""Ingest stage: relay frames -> raw.near_intents.quote; malformed frames and quotes -> dlq.doran.

Core: `FrameIngest` maps one received frame to what became of it, a `Handled` as in every stage
(pure, time injected, never raises). JSON-RPC protocol traffic (answers to our requests, other
notifications) is counted by kind, not dead-lettered. Shell: `run_ingest` pumps a frame feed (the
live relay, or a recording) into a producer in this process, so counting, readiness and liveness need
no IPC; it frames each record as its topic declares, with the schema ids it looked up when it started.
Beside the pump it tends the producer on a timer (`doran.stages.ingest_tender`), so a broker failure
surfaces when it happens, not at the next frame.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from contextlib import aclosing
from datetime import datetime
from typing import Any

from doran.broker import create_topics
from doran.contracts import (
    DEAD_LETTER_TOPIC,
    NEAR_INTENTS_QUOTE_REQUEST,
    NEAR_INTENTS_QUOTE_STATUS,
    RAW_NEAR_INTENTS_QUOTE,
    RAW_NEAR_INTENTS_QUOTE_STATUS,
    DeadLetter,
    DeadLetterReason,
    DeadLetterStage,
    Envelope,
    Violation,
)
from doran.errors import DoranError
from doran.publish import stage_framing
from doran.relay import (
    DATA_POINTER,
    SUBSCRIPTIONS,
    ErrorAnswer,
    FrameFeed,
    LiveRelayFeed,
    Malformed,
    Notification,
    ReceivedFrame,
    ResultAnswer,
    Subscription,
    parse_frame,
    utc_now,
)
from doran.schema_source.registry import TopicSpec, VenueMessageSpec
from doran.settings import Settings
from doran.stages.broker_failure import BrokerFailure
from doran.stages.consumed import Consumed
from doran.stages.delivery import TrackedProducer
from doran.stages.handling import Handled, oversize_violation, reject
from doran.stages.ingest_tender import READINESS, IngestTender, producer_config
from doran.stages.kafka_watch import KafkaWatch
from doran.stages.lifecycle import Lifecycle
from doran.stages.metrics import StageMetrics
from doran.stages.readiness import Readiness
from doran.wire import (
    ContractViolation,
    KafkaRecord,
    canonical_json,
    content_id,
    decode_venue_message,
    event_object,
    max_length,
    object_record,
    utc_timestamp,
    writing,
)

__all__ = [
    "FrameIngest",
    "IngestConfigError",
    "quote_event_id",
    "run_ingest",
    "venue_event_id",
]

STAGE = "ingest"
logger = logging.getLogger("doran.ingest")
_MAX_FEED = min(max_length(DeadLetter, "source_topic"), max_length(Envelope, "source"))
# What each subscription delivers: the venue message's contract, and the raw topic it goes to.
_ROUTES: dict[Subscription, tuple[VenueMessageSpec[Any], TopicSpec[Envelope]]] = {
    "quote": (NEAR_INTENTS_QUOTE_REQUEST, RAW_NEAR_INTENTS_QUOTE),
    "quote_status": (NEAR_INTENTS_QUOTE_STATUS, RAW_NEAR_INTENTS_QUOTE_STATUS),
}


class IngestConfigError(DoranError):
    """The ingest stage cannot start: no broker, or a feed whose name cannot be an event source."""


_PREFIXES = {"quote": "nearq-", "quote_status": "nears-"}
#: What ingest writes.
_TOPICS = [RAW_NEAR_INTENTS_QUOTE, RAW_NEAR_INTENTS_QUOTE_STATUS, DEAD_LETTER_TOPIC]


def venue_event_id(kind: str, data: Any) -> str:
    """Event id of a venue message: a prefix + sha256 of its canonical JSON, so a replay mints no new ids."""
    return content_id(_PREFIXES[kind], canonical_json(data))


def quote_event_id(data: Any) -> str:
    """Event id of a venue quote request (`nearq-...`)."""
    return venue_event_id("quote", data)


class FrameIngest:
    """Turns relay frames into records; remembers which subscription id is which (from the acks)."""

    def __init__(
        self,
        feed: str,
        *,
        max_frame_bytes: int,
        max_record_bytes: int,
        versions: Mapping[str, int] | None = None,
    ) -> None:
        """`versions`: the version to write of a raw topic, where not its newest (DORAN_PRODUCE_VERSIONS)."""
        if not 0 < len(feed) <= _MAX_FEED:
            raise IngestConfigError(f"A feed name must have 1 to {_MAX_FEED} characters: {feed[:80]!r}...")
        self.feed = feed
        written = versions or {}
        self._routes = {
            kind: (venue, writing(topic, written.get(topic.name))) for kind, (venue, topic) in _ROUTES.items()
        }
        self._max_frame = max_frame_bytes
        self._max_record = max_record_bytes
        self._subscriptions: dict[str, Subscription] = {}  # subscription id -> what it delivers

    def __call__(self, frame: ReceivedFrame, now: datetime) -> Handled:
        """What became of one frame exactly as received: protocol traffic (its kind), a quote or
        quote_status record (the venue message on its raw topic), or a dead letter; never raises."""
        original = frame.text.encode("utf-8", "surrogatepass") if isinstance(frame.text, str) else frame.text
        if len(original) > self._max_frame:
            text = (
                f"The frame has {len(original)} bytes; frames are limited to {self._max_frame} "
                "(DORAN_RELAY_MAX_FRAME_BYTES)"
            )
            return self._dead(
                original, DeadLetterReason.MESSAGE_TOO_LARGE, [Violation(pointer="", message=text)], now
            )
        parsed = parse_frame(original)
        if isinstance(parsed, Malformed):
            violations = [Violation(pointer=p, message=m) for p, m in parsed.violations]
            return self._dead(original, DeadLetterReason(parsed.reason), violations, now)
        if isinstance(parsed, ResultAnswer):
            return self._answer(parsed)
        if isinstance(parsed, ErrorAnswer):
            logger.warning(
                "The relay answered request %r with error %s: %s",
                parsed.request_id,
                parsed.code,
                parsed.message,
            )
            return Handled((), protocol="error_answer")
        return self._notification(parsed, original, frame.observed_at, now)

    def _answer(self, answer: ResultAnswer) -> Handled:
        position = answer.request_id if isinstance(answer.request_id, int) else -1
        if 1 <= position <= len(SUBSCRIPTIONS) and isinstance(answer.result, str):
            self._subscriptions[answer.result] = SUBSCRIPTIONS[position - 1]
            return Handled((), protocol=f"subscribed:{SUBSCRIPTIONS[position - 1]}")
        return Handled((), protocol="answer")

    def _notification(
        self, note: Notification, original: bytes, observed: datetime | None, now: datetime
    ) -> Handled:
        if note.subscription is None:
            return Handled((), protocol=f"notification:{note.method}"[:64])
        delivers = self._subscriptions.get(note.subscription) or _shape_of(note.data)
        if delivers is None:
            text = (
                f"An event on subscription {note.subscription[:80]!r}, which this connection did not make, "
                "carrying neither a quote nor a quote status"
            )
            violation = Violation(pointer="/params/subscription", message=text)
            return self._dead(original, DeadLetterReason.INVALID_VENUE_MESSAGE, [violation], now)
        venue, topic = self._routes[delivers]
        try:
            decode_venue_message(venue, note.data, at=DATA_POINTER)
        except ContractViolation as exc:
            return self._dead(original, DeadLetterReason.INVALID_VENUE_MESSAGE, exc.violations, now)
        # The message holds its contract and the envelope's own fields are made here: the event is
        # valid by construction (the property tests check every record against the reference).
        event = event_object(
            topic,
            {"message": note.data},
            event_id=venue_event_id(delivers, note.data),
            source=self.feed,
            observed_at=None if observed is None else utc_timestamp(observed),
            ingested_at=utc_timestamp(now),
            raw=note.data,
        )
        record = object_record(topic, event)
        if record.size > self._max_record:
            violation = oversize_violation(record, self._max_record)
            return self._dead(original, DeadLetterReason.MESSAGE_TOO_LARGE, [violation], now)
        return Handled((record,))

    def _dead(
        self, original: bytes, reason: DeadLetterReason, violations: list[Violation], now: datetime
    ) -> Handled:
        # A venue feed has no partition or offset: the dead letter's id derives from the feed and the
        # bytes, so identical frames (the same garbage sent three times) share one dead-letter id.
        frame = Consumed(self.feed, None, None, None, original)
        return reject(DeadLetterStage.INGEST, reason, violations, frame, now, self._max_record)


def _shape_of(data: Any) -> Subscription | None:
    """What an event on an unknown subscription carries (a recording may start after the acks)."""
    if isinstance(data, dict):
        if "quote_id" in data:
            return "quote"
        if "quote_hash" in data:
            return "quote_status"
    return None


async def pump(
    feed: FrameFeed,
    ingest: FrameIngest,
    produce: Callable[[KafkaRecord], None],
    metrics: StageMetrics,
    *,
    should_stop: Callable[[], bool],
    clock: Callable[[], datetime] = utc_now,
) -> None:
    """Feed every frame through `ingest` and produce its record, until the feed ends or a stop."""
    observe = metrics.handler_seconds.observe
    async with aclosing(feed.frames(should_stop)) as frames:
        async for frame in frames:
            started = time.perf_counter()
            handled = ingest(frame, clock())
            for record in handled.records:
                produce(record)
            metrics.count(handled)
            observe(time.perf_counter() - started)


#: How long a stopping ingest waits for the broker to acknowledge what it produced (within the pod's
#: 30 s termination grace period).
_FLUSH_TIMEOUT_S = 10.0


async def _ingest(
    feed: FrameFeed,
    ingest: FrameIngest,
    producer: TrackedProducer,
    metrics: StageMetrics,
    watch: KafkaWatch,
    broker_timeout_s: float,
    should_stop: Callable[[], bool],
) -> None:
    pumping = asyncio.create_task(pump(feed, ingest, producer.produce, metrics, should_stop=should_stop))
    relay = feed.client if isinstance(feed, LiveRelayFeed) else None
    tender = IngestTender(producer, watch, relay, broker_timeout_s)
    tending = asyncio.create_task(tender.run(pumping, [topic.name for topic in _TOPICS]))
    await asyncio.wait({pumping, tending}, return_when=asyncio.FIRST_EXCEPTION)
    for task in (pumping, tending):
        task.cancel()  # a no-op on a task that is done
    outcomes = await asyncio.gather(tending, pumping, return_exceptions=True)
    for outcome in outcomes:  # a failure to tend first: the pump's is its consequence
        if isinstance(outcome, BaseException) and not isinstance(outcome, asyncio.CancelledError):
            raise outcome


def run_ingest(
    settings: Settings,
    broker: str,
    feed: FrameFeed,
    metrics: StageMetrics,
    *,
    should_stop: Callable[[], bool] = lambda: False,
    watch: KafkaWatch | None = None,
) -> None:
    """Ingest `feed` into the broker until it is exhausted or `should_stop()`; flushes before returning.

    A failed delivery or a fatal producer error raises DeliveryFailed as soon as the producer reports
    it (the records not acknowledged are logged at ERROR), as does a broker unreachable for longer than
    DORAN_BROKER_UNAVAILABLE_TIMEOUT_S. `watch` gets the producer's statistics and the relay's state.
    """
    ingest = FrameIngest(
        feed.name,
        max_frame_bytes=settings.relay_max_frame_bytes,
        max_record_bytes=settings.max_message_bytes,
        versions=settings.produce_versions,
    )
    frame = stage_framing(settings, _TOPICS).frame  # fails closed before the feed is touched
    create_topics(broker, _TOPICS)
    if watch is None:
        lifecycle = Lifecycle(STAGE)
        watch = KafkaWatch(lifecycle, Readiness(lifecycle, READINESS))
    watch.expect(_TOPICS)
    producer = TrackedProducer(producer_config(settings, broker, watch), frame=frame)
    timeout_s = settings.broker_unavailable_timeout_s
    try:
        asyncio.run(_ingest(feed, ingest, producer, metrics, watch, timeout_s, should_stop))
        producer.flush(_FLUSH_TIMEOUT_S)
    except BrokerFailure:
        producer.log_undelivered()
        raise
