"""Throughput of the identity yardstick and of each stage, each on its own fresh embedded broker.

Quix apps (identity, shell, normalize, decide) are timed where they consume: from the first consumed
message to the last, so the group join is outside the window. execute is timed where its results
become readable (read_committed): it commits a transaction per batch, so a result is only done once
readable. ingest is timed by the Source's shared frame counter (its feed runs in a subprocess).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from quixstreams import Application

from benchmarks._inputs import StageInputs
from benchmarks._measure import (
    IDENTITY_OUT,
    BenchmarkError,
    Stopwatch,
    fresh_broker,
    produce_records,
    run_quix_until,
    watch_output,
)
from doran.broker import quix_topic_config
from doran.contracts import EXEC_TRADE_RESULT, NORM_SWAP_DEMAND, RAW_NEAR_INTENTS_QUOTE, TOPICS
from doran.executor import read_execution_log
from doran.settings import Settings
from doran.stages.counters import StageCounters
from doran.stages.decide import build_decide_app
from doran.stages.execute import run_execute_stage, venue_log_path
from doran.stages.handling import Consumed, Handled
from doran.stages.ingest import IngestCounters, replay
from doran.stages.normalize import build_normalize_app
from doran.stages.outbound import Outbound
from doran.stages.quix_stage import build_quix_app, quix_application

__all__ = ["MEASURES", "Throughput", "measure"]

_TIMEOUT_S = 180.0


@dataclass(frozen=True, slots=True)
class Throughput:
    """One throughput measurement: messages counted in the window, its length, and their ratio."""

    name: str
    messages: int
    window_s: float
    rate: float
    timed_at: str
    cpu_us_per_msg: float | None  # of the process running the app; None when it runs elsewhere


class _TimingCounters(StageCounters):
    """The stage's own counters, also ticking a stopwatch when the stage reports a consumed record."""

    def __init__(self, stage: str, stats_dir: Path, watch: Stopwatch) -> None:
        super().__init__(stage, stats_dir)
        self.watch = watch

    def consumed(self, n: int = 1) -> None:
        super().consumed(n)
        self.watch.tick(n)


def _settings(address: str, run_dir: Path) -> Settings:
    return Settings(
        broker_address=address,
        consumer_group_prefix=f"bench-{run_dir.name}",
        stats_dir=run_dir / "stats",
        executor_state_dir=run_dir / "executor-state",
        quix_state_dir=run_dir / "quix",
    )


def _quiet(app: Application) -> Application:
    logging.getLogger("quixstreams").setLevel(logging.WARNING)  # Quix logs INFO to stdout by default
    return app


def _identity_app(settings: Settings, address: str, watch: Stopwatch) -> Application:
    """Consume raw quotes as bytes, return each value unchanged, produce it: the Quix floor."""
    app = quix_application(settings, address, "identity")
    raw = TOPICS[RAW_NEAR_INTENTS_QUOTE]
    source = app.topic(
        raw.name, value_deserializer="bytes", key_deserializer="bytes", config=quix_topic_config(raw)
    )
    sink = app.topic(
        IDENTITY_OUT.name,
        value_serializer="bytes",
        key_serializer="bytes",
        config=quix_topic_config(IDENTITY_OUT),
    )

    def identity(value: bytes) -> bytes:
        watch.tick()
        return value

    app.dataframe(source).apply(identity).to_topic(sink)
    return app


def _shell_app(
    settings: Settings, address: str, watch: Stopwatch, headers: list[tuple[str, bytes]]
) -> Application:
    """The stages' own Quix wiring (build_quix_app) around a handler that forwards each raw quote's bytes
    with a full set of headers: the stage shell without validation or logic. Its output lands on
    norm.swap_demand of a throwaway broker, unvalidated."""

    def forward(message: Consumed, now: datetime) -> Handled:
        key = (message.key or b"").decode()
        return Handled((Outbound(NORM_SWAP_DEMAND, key, message.value, headers),))

    counters = _TimingCounters("shell", settings.stats_dir, watch)
    return build_quix_app(
        settings, address, "shell", RAW_NEAR_INTENTS_QUOTE, [NORM_SWAP_DEMAND], forward, counters
    )


def _quix(inputs: StageInputs, run_dir: Path, name: str) -> Throughput:
    n = len(inputs.frames)
    records = {
        "identity": inputs.raw,
        "shell": inputs.raw,
        "normalize": inputs.raw,
        "decide": inputs.demands,
    }[name]
    watch = Stopwatch()
    with fresh_broker(run_dir / "tansu.log") as broker:
        address = broker.address
        produce_records(address, records)
        settings = _settings(address, run_dir)
        if name == "identity":
            app = _identity_app(settings, address, watch)
        elif name == "shell":
            app = _shell_app(settings, address, watch, inputs.demands[0].headers)
        else:
            build = build_normalize_app if name == "normalize" else build_decide_app
            app = build(settings, address, _TimingCounters(name, settings.stats_dir, watch))
        run_quix_until(_quiet(app), watch, n, timeout_s=_TIMEOUT_S)
    return Throughput(
        name, watch.counted, watch.window_s, watch.rate, "consumed (in the app)", watch.cpu_us_per_msg
    )


def _in_thread(target: Callable[[], object], name: str) -> tuple[threading.Thread, list[BaseException]]:
    failures: list[BaseException] = []

    def run() -> None:
        try:
            target()
        except BaseException as exc:  # reported by the caller, with the measurement that needed it
            failures.append(exc)

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread, failures


def _execute(inputs: StageInputs, run_dir: Path) -> Throughput:
    n, watch, stop = len(inputs.commands), Stopwatch(), threading.Event()
    with fresh_broker(run_dir / "tansu.log") as broker:
        address = broker.address
        produce_records(address, inputs.commands)
        settings = _settings(address, run_dir)
        thread, failures = _in_thread(
            lambda: run_execute_stage(settings, address, stop=stop), "bench-execute"
        )
        try:
            watch_output(
                address, EXEC_TRADE_RESULT, n, watch, timeout_s=_TIMEOUT_S, abort=lambda: bool(failures)
            )
        finally:
            stop.set()
            thread.join(60)
        if failures:
            raise BenchmarkError(f"the execute stage failed: {failures[0]!r}") from failures[0]
    executed = len(read_execution_log(venue_log_path(settings)))
    if executed != n:  # durability rules intact: every command reached the fsync'd venue log once
        raise BenchmarkError(f"the simulated venue logged {executed} executions for {n} commands")
    return Throughput(
        "execute", watch.counted, watch.window_s, watch.rate, "committed results", watch.cpu_us_per_msg
    )


def _count_frames(counters: IngestCounters, watch: Stopwatch, expected: int, stop: threading.Event) -> None:
    """Tick `watch` as the ingest Source's shared frame counter grows (polled every millisecond)."""
    seen = 0
    while seen < expected and not stop.is_set():
        now = counters.snapshot().frames_in
        if now > seen:
            watch.tick(now - seen)
            seen = now
        time.sleep(0.001)


def _ingest(inputs: StageInputs, run_dir: Path) -> Throughput:
    n, watch, stop, counters = len(inputs.frames), Stopwatch(), threading.Event(), IngestCounters()
    recording = run_dir / "recording.jsonl"
    recording.parent.mkdir(parents=True, exist_ok=True)
    recording.write_bytes(b"".join(frame + b"\n" for frame in inputs.frames))
    with fresh_broker(run_dir / "tansu.log") as broker:
        address = broker.address
        settings = _settings(address, run_dir)
        counter, _ = _in_thread(lambda: _count_frames(counters, watch, n, stop), "bench-ingest-counter")
        try:
            counts = replay(recording, settings, address, counters=counters)
        finally:
            stop.set()
            counter.join(10)
        if counts.quotes_out != n:
            raise BenchmarkError(f"ingest replay produced {counts.quotes_out} quotes from {n} frames")
        watch_output(address, RAW_NEAR_INTENTS_QUOTE, n, Stopwatch(), timeout_s=_TIMEOUT_S)  # all readable
    return Throughput("ingest", watch.counted, watch.window_s, watch.rate, "frames taken by the Source", None)


MEASURES: dict[str, Callable[[StageInputs, Path], Throughput]] = {
    "identity": lambda inputs, run_dir: _quix(inputs, run_dir, "identity"),
    "shell": lambda inputs, run_dir: _quix(inputs, run_dir, "shell"),
    "normalize": lambda inputs, run_dir: _quix(inputs, run_dir, "normalize"),
    "decide": lambda inputs, run_dir: _quix(inputs, run_dir, "decide"),
    "execute": _execute,
    "ingest": _ingest,
}


def measure(name: str, inputs: StageInputs, run_dir: Path) -> Throughput:
    """Measure one of MEASURES on a fresh broker, with its files under run_dir."""
    return MEASURES[name](inputs, run_dir)
