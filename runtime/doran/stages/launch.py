"""Start one stage process: settings in, a running stage with its health endpoint, until SIGTERM/SIGINT.

Every stage serves /healthz, /readyz and /metrics on DORAN_HEALTH_PORT. A consuming stage is
ready once it has partitions assigned and alive while its poll loop runs (both from librdkafka's
statistics); ingest is ready while connected and subscribed to the relay, alive while its
receive loop runs.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import Literal

from doran.errors import DoranError
from doran.relay import LiveRelayFeed
from doran.settings import Settings
from doran.stages.health import HealthServer
from doran.stages.metrics import ConsumerMonitor, StageMetrics
from doran.wire import check_written_versions

__all__ = ["STAGES", "BrokerNotConfigured", "StageName", "run_stage"]

StageName = Literal["ingest", "normalize", "decide", "execute"]
STAGES: tuple[StageName, ...] = ("ingest", "normalize", "decide", "execute")


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
    """Run stage `name` against DORAN_BROKER_ADDRESS until stopped."""
    check_written_versions(settings.produce_versions)  # a version it cannot write stops it now, not later
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
        if name == "normalize":
            from doran.stages.normalize import build_normalize_app as build
        else:
            from doran.stages.decide import build_decide_app as build
        build(settings, broker, metrics, monitor).run()
