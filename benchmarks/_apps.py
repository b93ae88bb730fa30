"""The apps the throughput bench measures, built the way the stages build them, each ticking a stopwatch.

identity: a plain Quix app (bytes in, `apply` returning the value, `to_topic`): the floor Quix sets.
shell: the stages' own `build_quix_app` around a handler that forwards each raw quote's bytes with a
full set of headers: the stage wiring without validation or logic. normalize / decide: the stages.
The consuming stages get a ConsumerMonitor as `doran stage X` gives them (librdkafka statistics).
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from quixstreams import Application

from benchmarks._errors import BenchmarkError
from benchmarks._kafka import IDENTITY_OUT
from benchmarks._stopwatch import Stopwatch
from doran.broker import quix_topic_config
from doran.contracts import DEAD_LETTER_TOPIC, NORM_SWAP_DEMAND, RAW_NEAR_INTENTS_QUOTE
from doran.devkit.embedded_broker import EMBEDDED_BROKER_SETTINGS
from doran.publish import stage_framing
from doran.settings import Settings
from doran.stages.decide import build_decide_app
from doran.stages.handling import Consumed, Handled
from doran.stages.metrics import ConsumerMonitor, StageMetrics
from doran.stages.normalize import build_normalize_app
from doran.stages.quix_stage import build_quix_app, quix_application
from doran.wire import KafkaRecord

__all__ = ["BENCH_SETTINGS", "QUIX_APPS", "TimedMetrics", "app_settings", "build_app", "run_quix_until"]

QUIX_APPS = ("identity", "shell", "normalize", "decide")


#: Settings every bench process overrides: the embedded broker's, and execute's venue (the bench
#: trades on no real venue; the simulated one fills at once and logs each execution, fsync'd).
BENCH_SETTINGS: dict[str, Any] = {**EMBEDDED_BROKER_SETTINGS, "venue": "simulated"}


def app_settings(address: str, run_dir: Path, registry: str | None = None) -> Settings:
    """A measured app's settings: production's, with BENCH_SETTINGS, its state in run_dir and the
    schema registry the stages look their schema ids up in."""
    values: dict[str, Any] = {
        "broker_address": address,
        "registry_url": registry,
        "consumer_group_prefix": f"bench-{run_dir.name}",
        "executor_state_dir": run_dir / "executor-state",
        "quix_state_dir": run_dir / "quix",
        **BENCH_SETTINGS,
    }
    return Settings(**values)


class TimedMetrics(StageMetrics):
    """The stage's own counts; each time the stage counts a consumed message, a stopwatch ticks too."""

    def __init__(self, stage: str, watch: Stopwatch, monitor: ConsumerMonitor | None = None) -> None:
        self._watch = watch
        self._consumed = 0
        super().__init__(stage, monitor)

    @property  # overrides StageMetrics' int attribute: the stages only read it and add to it
    def consumed(self) -> int:
        return self._consumed

    @consumed.setter
    def consumed(self, value: int) -> None:
        if value > self._consumed:
            self._watch.tick(value - self._consumed)
        self._consumed = value


def _identity_app(settings: Settings, address: str, watch: Stopwatch) -> Application:
    """Consume raw quotes as bytes, return each value unchanged, produce it: the Quix floor."""
    app = quix_application(settings, address, "identity")
    source = app.topic(
        RAW_NEAR_INTENTS_QUOTE.name,
        value_deserializer="bytes",
        key_deserializer="bytes",
        config=quix_topic_config(RAW_NEAR_INTENTS_QUOTE),
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
    """build_quix_app around a handler that only forwards bytes; its output lands on norm.swap_demand
    of a throwaway broker, unvalidated."""

    def forward(message: Consumed, now: datetime) -> Handled:
        key = (message.key or b"").decode()
        return Handled((KafkaRecord(NORM_SWAP_DEMAND.name, key, message.value, headers),))

    monitor = ConsumerMonitor()
    return build_quix_app(
        settings,
        address,
        RAW_NEAR_INTENTS_QUOTE,
        [NORM_SWAP_DEMAND],
        forward,
        TimedMetrics("shell", watch, monitor),
        stage_framing(settings, [NORM_SWAP_DEMAND, DEAD_LETTER_TOPIC]),  # as normalize frames its output
        monitor=monitor,
    )


def build_app(
    name: str, settings: Settings, watch: Stopwatch, headers: list[tuple[str, bytes]]
) -> Application:
    """The Quix app `name` (one of QUIX_APPS), ticking `watch` per consumed message."""
    logging.getLogger("quixstreams").setLevel(logging.WARNING)  # Quix logs INFO per app by default
    address = settings.broker_address
    if address is None:
        raise BenchmarkError("a measured app needs DORAN_BROKER_ADDRESS (app_settings sets it)")
    if name == "identity":
        return _identity_app(settings, address, watch)
    if name == "shell":
        return _shell_app(settings, address, watch, headers)
    monitor = ConsumerMonitor()
    build = {"normalize": build_normalize_app, "decide": build_decide_app}[name]
    return build(settings, address, TimedMetrics(name, watch, monitor), monitor)


def run_quix_until(app: Application, watch: Stopwatch, expected: int, *, timeout_s: float) -> None:
    """Run app (it must own the main thread) until `watch` has counted `expected` messages, then stop it."""
    deadline = time.monotonic() + timeout_s

    def stop_when_done() -> None:
        while watch.count < expected and time.monotonic() < deadline:
            time.sleep(0.005)
        app.stop()

    threading.Thread(target=stop_when_done, name="bench-stopper", daemon=True).start()
    app.run()
    if watch.count < expected:
        raise BenchmarkError(f"the app consumed {watch.count} of {expected} messages within {timeout_s} s")
