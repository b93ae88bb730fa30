"""The normalize stage: raw.near_intents.quote -> norm.swap_demand, as a thin Quix Streams app."""

from __future__ import annotations

from datetime import datetime

from quixstreams import Application

from doran.contracts import (
    DEAD_LETTER_TOPIC,
    NORM_SWAP_DEMAND,
    RAW_NEAR_INTENTS_QUOTE,
    DeadLetterStage,
    Envelope,
)
from doran.contracts import NearIntentsQuoteRawEvent as RawQuote
from doran.pipeline import normalize
from doran.settings import Settings
from doran.stages.counters import StageCounters
from doran.stages.handling import Consumed, Handled, transform_record
from doran.stages.quix_stage import build_quix_app

__all__ = ["build_normalize_app", "handle_raw_quote"]


def _normalize(event: Envelope, now: datetime) -> Envelope:
    assert isinstance(event, RawQuote)  # decode returned the raw topic's model
    return normalize(event, now=now)


def handle_raw_quote(message: Consumed, now: datetime) -> Handled:
    """One raw quote record -> a swap demand record, or a dead letter."""
    return transform_record(DeadLetterStage.NORMALIZE, NORM_SWAP_DEMAND, _normalize, message, now)


def build_normalize_app(settings: Settings, broker: str, counters: StageCounters) -> Application:
    return build_quix_app(
        settings,
        broker,
        "normalize",
        RAW_NEAR_INTENTS_QUOTE,
        [NORM_SWAP_DEMAND, DEAD_LETTER_TOPIC],
        handle_raw_quote,
        counters,
    )
