"""End-to-end latency at a fixed offered rate: relay frame handed to ingest -> trade result readable.

All four stages run: normalize, decide and execute as `doran stage X` processes (like `doran demo`),
ingest in this process (`run_ingest` in a thread, fed by a paced feed). A read_committed reader notes
when each quote becomes readable on each topic; latency = result readable - the frame's send time.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from benchmarks._apps import BENCH_SETTINGS
from benchmarks._errors import BenchmarkError
from benchmarks._feeds import PacedFeed
from benchmarks._inputs import varied_frame
from benchmarks._kafka import fresh_broker, read_committed_consumer
from benchmarks._procfs import cpu_seconds, peak_rss_mib
from benchmarks._stage_processes import stage_processes, wait_until_ready
from doran.broker import settings_environment
from doran.contracts import CMD_EXECUTE_TRADE, EXEC_TRADE_RESULT, NORM_SWAP_DEMAND, RAW_NEAR_INTENTS_QUOTE
from doran.settings import Settings
from doran.stages.ingest import run_ingest
from doran.stages.metrics import StageMetrics

__all__ = ["LatencyResult", "Percentiles", "measure_latency"]

# Where each quote can be seen on its way: the stage that put it there, and the topic.
_HOPS = (
    ("ingest", RAW_NEAR_INTENTS_QUOTE.name),
    ("normalize", NORM_SWAP_DEMAND.name),
    ("decide", CMD_EXECUTE_TRADE.name),
    ("execute", EXEC_TRADE_RESULT.name),
)
_RESULTS = EXEC_TRADE_RESULT.name
_BENCH = "bench (ingest + reader)"


@dataclass(frozen=True, slots=True)
class Percentiles:
    """p50/p90/p99/max of a set of latencies, in ms."""

    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float


@dataclass(frozen=True, slots=True)
class LatencyResult:
    """End-to-end latency of the quotes sent after the warm-up, each stage's share, and what ran."""

    label: str
    commit_interval_s: float
    overrides: tuple[str, ...]
    offered_rate: float
    achieved_rate: float
    measured: int
    missing: int
    end_to_end: Percentiles
    per_stage: dict[str, Percentiles] = field(default_factory=dict)
    # Cores each process kept busy while quotes flowed (ingest runs in the bench process).
    cores_used: dict[str, float] = field(default_factory=dict)
    # Peak resident memory of the broker and of each stage process over the run, MiB.
    peak_rss_mib: dict[str, float] = field(default_factory=dict)
    # Each stage's own counts at the end (ingest's StageMetrics, the others' /metrics).
    stage_counts: dict[str, dict[str, Any]] = field(default_factory=dict)


def _percentiles(latencies: Iterable[float]) -> Percentiles:
    """Nearest-rank percentiles of latencies in ms (NaN when there are none)."""
    ordered = sorted(latencies)

    def rank(q: float) -> float:
        if not ordered:
            return float("nan")
        return ordered[max(1, min(len(ordered), math.ceil(q / 100 * len(ordered)))) - 1]

    return Percentiles(rank(50), rank(90), rank(99), ordered[-1] if ordered else float("nan"))


class _VisibilityReader(threading.Thread):
    """Notes the wall-clock time each quote first becomes readable (read_committed) on each topic."""

    def __init__(self, address: str) -> None:
        super().__init__(name="bench-visibility", daemon=True)
        self.seen: dict[str, dict[str, float]] = {topic: {} for _, topic in _HOPS}
        self.stop = threading.Event()
        self._consumer = read_committed_consumer(address, [topic for _, topic in _HOPS])

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                for message in self._consumer.consume(500, 0.005):
                    now = time.time()
                    if message.error() is None:
                        payload = orjson.loads(message.value())["payload"]
                        quote_id = (
                            payload["message"]["quote_id"] if "message" in payload else payload["quote_id"]
                        )
                        self.seen[message.topic()].setdefault(quote_id, now)
        finally:
            self._consumer.close()


class _IngestThread(threading.Thread):
    """`run_ingest` of the paced feed, as `doran replay` runs it but in a thread of this process."""

    def __init__(self, settings: Settings, address: str, feed: PacedFeed) -> None:
        super().__init__(name="bench-ingest", daemon=True)
        self.metrics = StageMetrics("ingest")
        self.failure: BaseException | None = None
        self._args = (settings, address, feed)

    def run(self) -> None:
        try:
            run_ingest(*self._args, self.metrics)
        except BaseException as exc:  # reported by the measurement that needed it
            self.failure = exc


def _settings(run_dir: Path, commit_interval_s: float) -> Settings:
    values: dict[str, Any] = {
        "consumer_group_prefix": f"bench-latency-{run_dir.name}",
        "commit_interval_s": commit_interval_s,
        "quix_state_dir": run_dir / "quix",
        "executor_state_dir": run_dir / "executor-state",
        **BENCH_SETTINGS,
    }
    return Settings(**values)


def _stage_environment(settings: Settings, address: str) -> dict[str, str]:
    """What `doran stage X` reads: this run's settings as DORAN_* variables over the bench's environment."""
    return {
        **os.environ,
        **settings_environment(BENCH_SETTINGS),
        "DORAN_BROKER_ADDRESS": address,
        "DORAN_CONSUMER_GROUP_PREFIX": settings.consumer_group_prefix,
        "DORAN_QUIX_STATE_DIR": str(settings.quix_state_dir),
        "DORAN_COMMIT_INTERVAL_S": str(settings.commit_interval_s),
        "EXECUTOR_STATE_DIR": str(settings.executor_state_dir),
    }


def measure_latency(
    base_frames: Sequence[bytes],
    run_dir: Path,
    *,
    label: str,
    commit_interval_s: float,
    overrides: Sequence[str] = (),
    rate: float,
    duration_s: float,
    warmup_s: float,
    drain_s: float,
) -> LatencyResult:
    """Offer `rate` quotes/s for warmup_s + duration_s and report the latency of those after the warm-up."""
    run_dir.mkdir(parents=True, exist_ok=True)
    total, warmup = round(rate * (warmup_s + duration_s)), round(rate * warmup_s)
    frames, quote_ids = zip(
        *(varied_frame(base_frames[i % len(base_frames)], i) for i in range(total)), strict=True
    )
    settings = _settings(run_dir, commit_interval_s)
    feed = PacedFeed(frames, rate)
    with fresh_broker(run_dir / "tansu.log") as broker:
        address = broker.address
        with stage_processes(_stage_environment(settings, address), overrides, run_dir) as stages:
            wait_until_ready(stages)
            reader = _VisibilityReader(address)
            reader.start()
            pids = {"tansu": broker.pid, **{name: stage.process.pid for name, stage in stages.items()}}
            cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
            cpu_before[_BENCH] = time.process_time()
            wall_before = time.monotonic()
            ingest = _IngestThread(settings, address, feed)
            ingest.start()
            ingest.join(warmup_s + duration_s + 60)  # it returns once the feed is exhausted and flushed
            if ingest.is_alive() or ingest.failure is not None:
                raise BenchmarkError(f"ingest did not finish its paced feed: {ingest.failure!r}")
            deadline = time.monotonic() + drain_s
            while len(reader.seen[_RESULTS]) < total and time.monotonic() < deadline:
                time.sleep(0.1)
            wall = time.monotonic() - wall_before
            cpu_after = {name: cpu_seconds(pid) for name, pid in pids.items()}
            cpu_after[_BENCH] = time.process_time()
            cores = {name: (cpu_after[name] - cpu_before[name]) / wall for name in cpu_before}
            peaks = {name: peak_rss_mib(pid) for name, pid in pids.items()}  # before they stop
            counts = {"ingest": ingest.metrics.snapshot(), **{n: s.counts() for n, s in stages.items()}}
            reader.stop.set()
            reader.join(10)
    sent = feed.sent
    if len(sent) != total:
        raise BenchmarkError(f"the paced feed sent {len(sent)} of {total} frames")
    # Every quote's send time and visibility per topic, for a closer look at one run.
    (run_dir / "visibility.json").write_bytes(
        orjson.dumps({"sent": dict(zip(quote_ids, sent, strict=True)), **reader.seen})
    )
    measured = [
        (quote_id, at)
        for quote_id, at in list(zip(quote_ids, sent, strict=True))[warmup:]
        if quote_id in reader.seen[_RESULTS]
    ]
    per_stage, previous = {}, {quote_id: at for quote_id, at in measured}
    for stage, topic in _HOPS:
        seen = reader.seen[topic]
        per_stage[stage] = _percentiles((seen[q] - previous[q]) * 1000 for q, _ in measured if q in seen)
        previous = {q: seen.get(q, previous[q]) for q, _ in measured}
    achieved = (total - 1) / (sent[-1] - sent[0]) if total > 1 else 0.0
    return LatencyResult(
        label,
        commit_interval_s,
        tuple(overrides),
        rate,
        achieved,
        len(measured),
        total - warmup - len(measured),
        _percentiles((reader.seen[_RESULTS][q] - at) * 1000 for q, at in measured),
        per_stage,
        cores,
        peaks,
        counts,
    )
