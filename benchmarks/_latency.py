"""End-to-end latency at a fixed offered rate: relay frame handed to ingest -> trade result readable.

All four stages run: normalize, decide and execute as separate processes (like `doran demo`), ingest
in this process with its paced feed in Quix's Source subprocess. A read_committed reader notes when
each quote's trade result becomes readable; latency = that time - the frame's send time.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import orjson
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import KafkaException

from benchmarks._inputs import varied_frame
from benchmarks._measure import BenchmarkError, cpu_seconds, fresh_broker, read_committed_consumer
from benchmarks._paced_feed import PacedFeed
from doran.contracts import CMD_EXECUTE_TRADE, EXEC_TRADE_RESULT, NORM_SWAP_DEMAND, RAW_NEAR_INTENTS_QUOTE
from doran.settings import Settings
from doran.stages.ingest import build_ingest_app

__all__ = ["LatencyResult", "measure_latency"]

_STAGES = ("normalize", "decide", "execute")


# Where each quote can be seen on its way, and where its quote_id sits in that topic's payload.
_HOPS = (
    ("ingest", RAW_NEAR_INTENTS_QUOTE),
    ("normalize", NORM_SWAP_DEMAND),
    ("decide", CMD_EXECUTE_TRADE),
    ("execute", EXEC_TRADE_RESULT),
)


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
    # Cores each process kept busy while quotes flowed (the ingest Source subprocess is not counted).
    cores_used: dict[str, float] = field(default_factory=dict)


def _percentiles(latencies: Iterable[float]) -> Percentiles:
    """Nearest-rank percentiles of latencies in ms (NaN when there are none)."""
    ordered = sorted(latencies)

    def rank(q: float) -> float:
        if not ordered:
            return float("nan")
        return ordered[max(1, min(len(ordered), math.ceil(q / 100 * len(ordered)))) - 1]

    return Percentiles(rank(50), rank(90), rank(99), ordered[-1] if ordered else float("nan"))


def _spawn(
    stage: str, overrides: Sequence[str], env: dict[str, str], run_dir: Path
) -> subprocess.Popen[bytes]:
    # Exactly what production runs (`doran stage X`); overrides are DORAN_* settings, KEY=VALUE.
    settings = dict(override.split("=", 1) for override in overrides)
    with (run_dir / f"{stage}.log").open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "doran.cli", "stage", stage],
            env={**env, **settings},
            cwd=run_dir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


@contextlib.contextmanager
def _stages(
    overrides: Sequence[str], env: dict[str, str], run_dir: Path
) -> Iterator[dict[str, subprocess.Popen[bytes]]]:
    processes = {stage: _spawn(stage, overrides, env, run_dir) for stage in _STAGES}
    try:
        yield processes
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_joined(
    address: str, groups: list[str], processes: dict[str, subprocess.Popen[bytes]]
) -> None:
    """Block until every stage's consumer group is Stable (tansu joins take ~3 s)."""
    admin = AdminClient({"bootstrap.servers": address, "log_level": 0})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        dead = [stage for stage, process in processes.items() if process.poll() is not None]
        if dead:
            raise BenchmarkError(f"stage(s) {dead} exited before joining; see their logs")
        try:
            described = admin.describe_consumer_groups(groups)
            states = [future.result(timeout=5).state.name for future in described.values()]
        except KafkaException:
            states = []
        if states and all(state == "STABLE" for state in states):
            return
        time.sleep(0.25)
    raise BenchmarkError(f"consumer groups {groups} did not become stable within 60 s")


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
    recording, sent_log = run_dir / "paced.jsonl", run_dir / "sent.json"
    recording.write_bytes(b"".join(frame + b"\n" for frame in frames))
    prefix = f"bench-latency-{run_dir.name}"
    settings = Settings(
        consumer_group_prefix=prefix,
        stats_dir=run_dir / "stats",
        commit_interval_s=commit_interval_s,
        quix_state_dir=run_dir / "quix",
    )
    results = _HOPS[-1][1]
    with fresh_broker(run_dir / "tansu.log") as broker:
        address = broker.address
        env = {
            **os.environ,
            "DORAN_BROKER_ADDRESS": address,
            "DORAN_CONSUMER_GROUP_PREFIX": prefix,
            "DORAN_STATS_DIR": str(settings.stats_dir),
            "DORAN_QUIX_STATE_DIR": str(settings.quix_state_dir),
            "DORAN_COMMIT_INTERVAL_S": str(commit_interval_s),
            "EXECUTOR_STATE_DIR": str(run_dir / "executor-state"),
        }
        with _stages(overrides, env, run_dir) as processes:
            _wait_until_joined(address, [f"{prefix}.{stage}" for stage in _STAGES], processes)
            reader = _VisibilityReader(address)
            reader.start()
            pids = {"tansu": broker.pid, **{stage: p.pid for stage, p in processes.items()}}
            cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
            cpu_before["bench (ingest app + reader)"] = time.process_time()
            wall_before = time.monotonic()
            app = build_ingest_app(
                settings,
                address,
                feed=PacedFeed(recording, rate, sent_log),
            )
            app.run()  # returns once the feed is exhausted and flushed
            deadline = time.monotonic() + drain_s
            while len(reader.seen[results]) < total and time.monotonic() < deadline:
                time.sleep(0.1)
            wall = time.monotonic() - wall_before
            cpu_after = {name: cpu_seconds(pid) for name, pid in pids.items()}
            cpu_after["bench (ingest app + reader)"] = time.process_time()
            cores = {name: (cpu_after[name] - cpu_before[name]) / wall for name in cpu_before}
            reader.stop.set()
            reader.join(10)
    sent: list[float] = orjson.loads(sent_log.read_bytes())
    if len(sent) != total:
        raise BenchmarkError(f"the paced feed sent {len(sent)} of {total} frames")
    # Every quote's send time and visibility per topic, for a closer look at one run.
    (run_dir / "visibility.json").write_bytes(
        orjson.dumps({"sent": dict(zip(quote_ids, sent, strict=True)), **reader.seen})
    )
    measured = [
        (quote_id, at)
        for quote_id, at in list(zip(quote_ids, sent, strict=True))[warmup:]
        if quote_id in reader.seen[results]
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
        _percentiles((reader.seen[results][q] - at) * 1000 for q, at in measured),
        per_stage,
        cores,
    )
