"""Start one stage process: settings in, a running stage with its health endpoint, until SIGTERM/SIGINT.

Every stage serves /healthz, /readyz and /metrics on DORAN_HEALTH_PORT. A consuming stage is
ready once it has partitions assigned and alive while its poll loop runs (both from librdkafka's
statistics); ingest is ready while connected and subscribed to the relay, alive while its
receive loop runs.
"""

from __future__ import annotations

import contextlib
import faulthandler
import logging
import signal
import time
from collections.abc import Callable, Iterator
from typing import Literal

from doran.errors import DoranError
from doran.relay import LiveRelayFeed
from doran.settings import Settings
from doran.stages.health import HealthServer
from doran.stages.metrics import ConsumerMonitor, StageMetrics

__all__ = ["STAGES", "BrokerNotConfigured", "StageName", "run_stage"]

StageName = Literal["ingest", "normalize", "decide", "execute", "settle"]
STAGES: tuple[StageName, ...] = ("ingest", "normalize", "decide", "execute", "settle")


class BrokerNotConfigured(DoranError):
    """A stage process was started without DORAN_BROKER_ADDRESS."""


@contextlib.contextmanager
def _health(
    settings: Settings, metrics: StageMetrics, live: Callable[[], bool], ready: Callable[[], bool]
) -> Iterator[None]:
    if settings.health_port is None:
        yield
        return
    with HealthServer(settings.health_port, registry=metrics.registry, live=live, ready=ready):
        yield


def run_stage(name: StageName, settings: Settings) -> None:
    """Run stage `name` against DORAN_BROKER_ADDRESS until stopped; its lifecycle is logged at INFO."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # `kill -USR1 <pid>`: every thread's stack
    broker = settings.broker_address
    if not broker:
        raise BrokerNotConfigured(
            f"doran stage {name} needs a broker: set DORAN_BROKER_ADDRESS (e.g. redpanda:9092), "
            "or run `doran demo`, which starts an embedded one."
        )
    if name == "ingest":
        from doran.stages.ingest import run_ingest

        feed = LiveRelayFeed(settings.relay_url, settings.relay_api_key)
        metrics = StageMetrics(name)
        alive = lambda: time.monotonic() - feed.client.last_alive <= settings.liveness_timeout_s  # noqa: E731
        with _health(settings, metrics, alive, lambda: feed.client.connected):
            run_ingest(settings, broker, feed, metrics)
        return
    monitor = ConsumerMonitor()
    metrics = StageMetrics(name, monitor)
    with _health(
        settings,
        metrics,
        lambda: monitor.polled_within(settings.liveness_timeout_s),
        lambda: bool(monitor.assigned),
    ):
        if name == "execute":
            from doran.stages.execute import run_execute_stage

            run_execute_stage(settings, broker, metrics=metrics, monitor=monitor)
            return
        if name == "settle":
            from doran.stages.settle import run_settle_stage

            run_settle_stage(settings, broker, metrics=metrics, monitor=monitor)
            return
        if name == "normalize":
            from doran.stages.normalize import build_normalize_app as build
        else:
            from doran.stages.decide import build_decide_app as build
        build(settings, broker, metrics, monitor).run()
