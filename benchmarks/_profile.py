"""Where a normalize or decide message's time goes, without a broker: decode, logic, outbound validation.

Each part is timed on its own over the same N inputs (best of a few repeats); cProfile then lists the
handler's top functions. The stage's Quix overhead is what the broker run costs beyond the handler.
"""

from __future__ import annotations

import cProfile
import gc
import io
import pstats
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from benchmarks._inputs import StageInputs, offline_framing
from doran.contracts import CMD_EXECUTE_TRADE, NORM_SWAP_DEMAND, RAW_NEAR_INTENTS_QUOTE, Envelope
from doran.contracts import NearIntentsQuoteRawEvent as RawQuote
from doran.contracts import SwapDemandEvent as Demand
from doran.pipeline import decide, default_policy, normalize
from doran.schema_source.registry import TopicSpec
from doran.settings import Settings
from doran.stages.decide import demand_handler
from doran.stages.handling import Consumed, Handled
from doran.stages.normalize import raw_quote_handler
from doran.wire import KafkaRecord, decode, encode, kafka_headers, message_key

__all__ = ["HandlerProfile", "profile_handler"]

_REPEATS = 3
_TOP = 8


@dataclass(frozen=True, slots=True)
class HandlerProfile:
    """µs per message of each part of one stage's handler, and cProfile's top functions."""

    stage: str
    messages: int
    handler_us: float
    parts_us: dict[str, float]
    top: list[dict[str, Any]] = field(default_factory=list)


def _us_per_item(fn: Callable[[Any], object], items: Sequence[Any]) -> float:
    gc.collect()  # start each timing without the previous one's garbage
    best = float("inf")
    for _ in range(_REPEATS):
        started = time.perf_counter()
        for item in items:
            fn(item)
        best = min(best, time.perf_counter() - started)
    return best / len(items) * 1e6


def _top_functions(run: Callable[[], object], n: int) -> list[dict[str, Any]]:
    gc.collect()
    profiler = cProfile.Profile()
    profiler.runcall(run)
    stats = pstats.Stats(profiler, stream=io.StringIO())
    rows = []
    for (path, line, name), (_, calls, tottime, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append(
            {
                "function": f"{path.rsplit('/', 2)[-2:][-1]}:{line}({name})",
                "calls": calls,
                "tottime_us_per_msg": tottime / n * 1e6,
                "cumtime_us_per_msg": cumtime / n * 1e6,
            }
        )
    rows.sort(key=lambda row: row["tottime_us_per_msg"], reverse=True)
    return rows[:_TOP]


def _parts(
    in_topic: TopicSpec[Envelope],
    out_topic: TopicSpec[Envelope],
    values: Sequence[bytes],
    logic: Callable[[Envelope], Envelope],
) -> dict[str, float]:
    """µs per message of each step the stage's RecordHandler takes, in its order.

    The output is validated where the logic builds it (`doran.wire.derive`: strict model_validate);
    that share is timed again on its own by validating each result's own dump, so it shows beside
    the logic's total.
    """
    events = [decode(in_topic, value) for value in values]
    results = [logic(event) for event in events]
    model = out_topic.event_model
    dumps = [result.model_dump() for result in results]
    return {
        "decode + validate input": _us_per_item(lambda value: decode(in_topic, value), values),
        "logic, building the output event": _us_per_item(logic, events),
        "  of which strict output validation": _us_per_item(
            lambda d: model.model_validate(d, strict=True), dumps
        ),
        "encode output": _us_per_item(encode, results),
        "key + CloudEvents headers": _us_per_item(
            lambda result: (message_key(out_topic, result), kafka_headers(out_topic, result)), results
        ),
    }


def profile_handler(stage: str, inputs: StageInputs, limit: int) -> HandlerProfile:
    """Time the named stage's (normalize | decide) handler and its parts over the first `limit` inputs."""
    now = datetime.now(UTC)
    policy = default_policy()
    settings = Settings()  # the stages' limits, as they read them
    framing = offline_framing()
    records: tuple[KafkaRecord, ...]
    in_topic: TopicSpec[Envelope]
    out_topic: TopicSpec[Envelope]
    if stage == "normalize":
        records, in_topic, out_topic = inputs.raw, RAW_NEAR_INTENTS_QUOTE, NORM_SWAP_DEMAND
        handler: Callable[[Consumed, datetime], Handled] = raw_quote_handler(
            settings.max_message_bytes, settings.relay_auction_window_ms, framing=framing
        )

        def logic(event: Envelope) -> Envelope:
            assert isinstance(event, RawQuote)
            return normalize(event, auction_window_ms=settings.relay_auction_window_ms)
    else:
        records, in_topic, out_topic = inputs.demands, NORM_SWAP_DEMAND, CMD_EXECUTE_TRADE
        handler = demand_handler(policy, settings.max_message_bytes, framing=framing)

        def logic(event: Envelope) -> Envelope:
            assert isinstance(event, Demand)
            decided = decide(event, policy)
            assert isinstance(decided, Envelope)  # the inputs all take the full path
            return decided

    records = records[:limit]
    # As the stage consumes them: framed as their producer frames them.
    consumed = [
        Consumed(in_topic.name, 0, i, r.key.encode(), framing.frame(r.topic, r.value))
        for i, r in enumerate(records)
    ]
    handler_us = _us_per_item(lambda message: handler(message, now), consumed)
    parts = _parts(in_topic, out_topic, [r.value for r in records], logic)
    top = _top_functions(lambda: [handler(message, now) for message in consumed], len(consumed))
    return HandlerProfile(stage, len(consumed), handler_us, parts, top)
