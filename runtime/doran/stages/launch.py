"""Start one stage process: settings in, a running stage until SIGTERM/SIGINT, counters flushed on exit."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Literal

from doran.errors import DoranError
from doran.settings import Settings
from doran.stages.counters import StageCounters
from doran.stages.health import HealthServer

__all__ = ["STAGES", "StageName", "run_stage"]

StageName = Literal["ingest", "normalize", "decide", "execute"]
STAGES: tuple[StageName, ...] = ("ingest", "normalize", "decide", "execute")


class BrokerNotConfigured(DoranError):
    """A stage process was started without DORAN_BROKER_ADDRESS."""


@contextlib.contextmanager
def _health(settings: Settings) -> Iterator[HealthServer | None]:
    if settings.health_port is None:
        yield None
        return
    with HealthServer(settings.health_port) as server:
        yield server


def run_stage(name: StageName, settings: Settings) -> None:
    """Run stage `name` against DORAN_BROKER_ADDRESS until stopped."""
    broker = settings.broker_address
    if not broker:
        raise BrokerNotConfigured(
            f"doran stage {name} needs a broker: set DORAN_BROKER_ADDRESS (e.g. redpanda:9092), "
            "or run `doran demo`, which starts an embedded one."
        )
    with _health(settings) as health:
        if name == "ingest":
            from doran.stages.ingest import run_ingest

            if health:
                health.ready.set()
            run_ingest(settings)
            return
        if name == "execute":
            from doran.stages.execute import run_execute_stage

            # The executor marks itself ready once its partitions are assigned.
            run_execute_stage(settings, broker, health=health)
            return
        counters = StageCounters(name, settings.stats_dir)
        if name == "normalize":
            from doran.stages.normalize import build_normalize_app as build
        else:
            from doran.stages.decide import build_decide_app as build
        app = build(settings, broker, counters)
        if health:
            health.ready.set()
        try:
            app.run()
        finally:
            counters.flush()
