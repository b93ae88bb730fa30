"""The normalize stage: raw.near_intents.quote -> norm.swap_demand, as a thin Quix Streams app."""

from __future__ import annotations

from quixstreams import Application

from doran.contracts import (
    DEAD_LETTER_TOPIC,
    NORM_SWAP_DEMAND,
    RAW_NEAR_INTENTS_QUOTE,
    DeadLetterStage,
    NearIntentsQuoteRawEvent,
    SwapDemandEvent,
)
from doran.pipeline import swap_demand
from doran.pipeline.normalize import SOURCE
from doran.publish import stage_framing
from doran.settings import Settings
from doran.stages.handling import RecordHandler
from doran.stages.kafka_watch import KafkaWatch
from doran.stages.metrics import ConsumerMonitor, StageMetrics
from doran.stages.quix_stage import build_quix_app
from doran.wire import Framing

__all__ = ["build_normalize_app", "raw_quote_handler"]


def raw_quote_handler(
    max_record_bytes: int, auction_window_ms: int, *, framing: Framing
) -> RecordHandler[NearIntentsQuoteRawEvent, SwapDemandEvent]:
    """One raw quote record -> a swap demand record, or a dead letter."""
    return RecordHandler(
        DeadLetterStage.NORMALIZE,
        RAW_NEAR_INTENTS_QUOTE,
        NORM_SWAP_DEMAND,
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
    framing = stage_framing(settings, [NORM_SWAP_DEMAND, DEAD_LETTER_TOPIC])
    return build_quix_app(
        settings,
        broker,
        RAW_NEAR_INTENTS_QUOTE,
        [NORM_SWAP_DEMAND],
        raw_quote_handler(settings.max_message_bytes, settings.relay_auction_window_ms, framing=framing),
        metrics,
        framing,
        monitor=monitor,
        watch=watch,
    )
