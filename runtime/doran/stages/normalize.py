"""The normalize stage: raw.near_intents.quote -> norm.swap_demand, as a thin Quix Streams app."""

from __future__ import annotations

from quixstreams import Application

from doran.contracts import (
    DEAD_LETTER_TOPIC,
    NORM_SWAP_DEMAND,
    RAW_NEAR_INTENTS_QUOTE,
    DeadLetterStage,
    Envelope,
    NearIntentsQuoteRawEvent,
)
from doran.pipeline import swap_demand
from doran.pipeline.normalize import SOURCE
from doran.publish import stage_framing
from doran.schema_source.registry import TopicSpec
from doran.settings import Settings
from doran.stages.handling import RecordHandler
from doran.stages.kafka_watch import KafkaWatch
from doran.stages.metrics import ConsumerMonitor, StageMetrics
from doran.stages.quix_stage import build_quix_app
from doran.wire import Framing, writing

__all__ = ["build_normalize_app", "raw_quote_handler"]


def raw_quote_handler(
    max_record_bytes: int,
    auction_window_ms: int,
    *,
    framing: Framing,
    target: TopicSpec[Envelope] = NORM_SWAP_DEMAND,
) -> RecordHandler[NearIntentsQuoteRawEvent, Envelope]:
    """One raw quote record -> a swap demand record (written as `target`: the topic, or a version of
    it from `doran.wire.writing`), or a dead letter."""
    return RecordHandler(
        DeadLetterStage.NORMALIZE,
        RAW_NEAR_INTENTS_QUOTE,
        target,
        lambda event: swap_demand(event, auction_window_ms=auction_window_ms),
        SOURCE,
        max_record_bytes,
        framing,
    )


def build_normalize_app(
    settings: Settings,
    broker: str,
    metrics: StageMetrics,
    monitor: ConsumerMonitor | None = None,
    *,
    watch: KafkaWatch | None = None,
) -> Application:
    """The normalize app; fails closed (doran.publish.stage_framing) without the schema ids it writes with."""
    target = writing(NORM_SWAP_DEMAND, settings.produce_versions.get(NORM_SWAP_DEMAND.name))
    framing = stage_framing(settings, [target, DEAD_LETTER_TOPIC])
    return build_quix_app(
        settings,
        broker,
        RAW_NEAR_INTENTS_QUOTE,
        [target],
        raw_quote_handler(
            settings.max_message_bytes, settings.relay_auction_window_ms, framing=framing, target=target
        ),
        metrics,
        framing,
        monitor=monitor,
        watch=watch,
    )
