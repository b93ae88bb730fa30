"""Start one stage process: settings in, a running stage with its health endpoint, until SIGTERM/SIGINT.

Every stage serves /healthz ("my loop is alive"), /readyz ("I can do my job now") and /metrics on
DORAN_HEALTH_PORT, and logs its lifecycle at INFO, one structured line per event
(`doran.stages.lifecycle`). A consuming stage is ready while it holds partitions in a settled group
and its consumer and producer reach a broker (execute and settle: their transactional producer, their
partitions restored, their loop turning; execute: its relay session connected too); ingest while it is
subscribed to the relay and its producer reaches a broker. When the broker can no longer serve a stage as
it is, the stage exits with one line saying why (`doran.stages.broker_failure`), so that Kubernetes
restarts it.
"""

from __future__ import annotations

import contextlib
import faulthandler
import signal
import threading
import time
from collections.abc import Iterator
from typing import Literal

from doran.errors import DoranError
from doran.relay import LiveRelayFeed
from doran.settings import Settings
from doran.stages.broker_failure import broker_failure
from doran.stages.health import Check, HealthServer
from doran.stages.kafka_watch import KafkaWatch
from doran.stages.lifecycle import Lifecycle, configure_logging
from doran.stages.metrics import StageMetrics
from doran.stages.readiness import Readiness
from doran.stages.stateful_tender import CONSUMER_READINESS, EXECUTE_READINESS, STATEFUL_READINESS
from doran.stages.stop_signals import stop_on_signals
from doran.wire import check_written_versions

__all__ = ["CONSUMER_READINESS", "STAGES", "BrokerNotConfigured", "StageName", "run_stage"]

StageName = Literal["ingest", "normalize", "decide", "execute", "settle"]
STAGES: tuple[StageName, ...] = ("ingest", "normalize", "decide", "execute", "settle")


#: A stateful stage whose loop has not polled for this long is unready, whatever it said before.
_STALLED_S = 5.0


def _turning(watch: KafkaWatch, stalled_s: float) -> tuple[bool, str]:
    """/readyz of a stateful stage: its readiness, while its loop polls."""
    ready, text = watch.readiness.probe()
    if ready and not watch.consumer_monitor.polled_within(stalled_s):
        return False, f"not ready: the loop has not polled for {stalled_s:g} s (a transaction or a restore)"
    return ready, text


class BrokerNotConfigured(DoranError):
    """A stage process was started without DORAN_BROKER_ADDRESS."""


@contextlib.contextmanager
def _health(settings: Settings, metrics: StageMetrics, live: Check, ready: Check) -> Iterator[None]:
    if settings.health_port is None:
        yield
        return
    with HealthServer(settings.health_port, registry=metrics.registry, live=live, ready=ready):
        yield


def run_stage(name: StageName, settings: Settings) -> None:
    """Run stage `name` against DORAN_BROKER_ADDRESS until stopped; its lifecycle is logged at INFO."""
    check_written_versions(settings.produce_versions)  # a version it cannot write stops it now, not later
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # `kill -USR1 <pid>`: every thread's stack
    broker = settings.broker_address
    if not broker:
        raise BrokerNotConfigured(
            f"doran stage {name} needs a broker: set DORAN_BROKER_ADDRESS (e.g. redpanda:9092), "
            "or run `doran demo`, which starts an embedded one."
        )
    configure_logging()
    lifecycle = Lifecycle(name)
    lifecycle.log("start", broker=broker, group_instance_id=settings.group_instance_id)
    try:
        _run(name, settings, broker, lifecycle)
    except Exception as exc:
        failure = broker_failure(exc)
        lifecycle.log("failed", reason=str(failure or exc))
        if failure is not None and failure is not exc:
            raise failure from exc
        raise
    lifecycle.log("stopped")


def _run(name: StageName, settings: Settings, broker: str, lifecycle: Lifecycle) -> None:
    if name == "ingest":
        from doran.stages.ingest import run_ingest
        from doran.stages.ingest_tender import READINESS

        instance = settings.relay_instance_id
        feed = LiveRelayFeed(settings.relay_url, settings.relay_api_key, instance_id=instance)
        watch = KafkaWatch(lifecycle, Readiness(lifecycle, READINESS))
        metrics = StageMetrics(name)
        alive = lambda: time.monotonic() - feed.client.last_alive <= settings.liveness_timeout_s  # noqa: E731
        stop = threading.Event()
        with _health(settings, metrics, alive, watch.readiness.probe), stop_on_signals(stop, lifecycle):
            run_ingest(settings, broker, feed, metrics, should_stop=stop.is_set, watch=watch)
        return
    needs = {"execute": EXECUTE_READINESS, "settle": STATEFUL_READINESS}.get(name, CONSUMER_READINESS)
    watch = KafkaWatch(lifecycle, Readiness(lifecycle, needs))
    monitor = watch.consumer_monitor
    metrics = StageMetrics(name, monitor)
    alive = lambda: monitor.polled_within(settings.liveness_timeout_s)  # noqa: E731
    if name in ("execute", "settle"):
        # Their loop waits on transactions and restores: readiness said before it stalled is stale.
        stalled_s = max(_STALLED_S, 3 * settings.statistics_interval_ms / 1000)
        with _health(settings, metrics, alive, lambda: _turning(watch, stalled_s)):
            if name == "execute":
                from doran.stages.execute import run_execute_stage

                run_execute_stage(settings, broker, metrics=metrics, watch=watch)
            else:
                from doran.stages.settle import run_settle_stage

                run_settle_stage(settings, broker, metrics=metrics, watch=watch)
        return
    with _health(settings, metrics, alive, watch.readiness.probe):
        if name == "normalize":
            from doran.stages.normalize import build_normalize_app as build
        else:
            from doran.stages.decide import build_decide_app as build
        build(settings, broker, metrics, watch=watch).run()
