"""The execute stage: cmd.execute_trade -> exec.trade_result, each command executed at most once and
answered by exactly one result (DORAN_EXECUTOR_PROCESSING_GUARANTEE=exactly-once, the default).

A thin Quix-configured app (registry topics, consumer group, transactional producer) running doran's
own poll-batch loop (`doran.stages.execute_loop`): Quix Streams has no hook between poll and commit,
and the executor's durability rules need that batch boundary to cost three fsyncs per batch, not per
message. Run it with `doran stage execute` (DORAN_BROKER_ADDRESS must be set).

Operational limits: ONE executor instance per consumer group (the idempotency state is a local
file; the transactional.id is the group's name, so a second instance fences the first), and a batch
(`max_batch` venue calls) must finish well within max.poll.interval.ms.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from types import FrameType

from doran.broker import create_topics
from doran.contracts import DEAD_LETTER_TOPIC, EXEC_QUOTE_SETTLEMENT, EXEC_TRADE_RESULT
from doran.executor import (
    ExecutorStore,
    StartupVerdict,
    Venue,
    check_startup,
    committed_offsets_exist,
    executor_group,
    history_horizon,
)
from doran.publish import stage_framing
from doran.settings import Settings
from doran.stages.execute_batch import INPUTS
from doran.stages.execute_loop import ExecuteLoop
from doran.stages.metrics import ConsumerMonitor, StageMetrics
from doran.stages.quix_stage import quix_application
from doran.venues import venue_from_settings

__all__ = ["STAGE", "consumer_group", "open_checked_store", "run_execute_stage"]

STAGE = "execute"
logger = logging.getLogger("doran.execute")


def consumer_group(settings: Settings) -> str:
    """The executor's consumer group (also its transactional.id): `<prefix>.execute`."""
    return executor_group(settings.consumer_group_prefix)


def open_checked_store(settings: Settings, broker: str) -> tuple[ExecutorStore, StartupVerdict]:
    """Open the state store and refuse (IdempotencyHistoryLost) if its history is gone but offsets are not."""
    store = ExecutorStore.open(settings.executor_state_dir)
    try:
        consumed_before = committed_offsets_exist(broker, consumer_group(settings))
        verdict = check_startup(store, consumed_before, settings.executor_allow_missing_state)
    except BaseException:
        store.close()
        raise
    return store, verdict


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM/SIGINT set `stop` (the batch in hand is finished and committed); a second one acts as usual."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        logger.info("signal %d: finishing the current batch, then stopping", signum)
        stop.set()
        signal.signal(signum, previous[signal.Signals(signum)])

    for sig in previous:
        signal.signal(sig, request_stop)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_execute_stage(
    settings: Settings,
    broker: str,
    *,
    metrics: StageMetrics | None = None,
    monitor: ConsumerMonitor | None = None,
    venue: Venue | None = None,
    stop: threading.Event | None = None,
    max_batch: int | None = None,
    on_assigned: Callable[[], None] = lambda: None,
) -> None:
    """Execute commands until `stop` is set or SIGTERM/SIGINT arrives; returns after a clean close.

    Raises IdempotencyHistoryLost before consuming anything when the state is missing or empty but
    the consumer group has committed offsets (override: DORAN_EXECUTOR_ALLOW_MISSING_STATE=true),
    HistoryTooShort when DORAN_EXECUTOR_HISTORY_DAYS would forget commands that can come again.
    `venue` defaults to the one the settings configure (`doran.venues.venue_from_settings`).
    """
    stop = stop if stop is not None else threading.Event()
    metrics = metrics if metrics is not None else StageMetrics(STAGE, monitor)
    exactly_once = settings.executor_processing_guarantee == "exactly-once"
    history = history_horizon(settings.executor_history_days)  # before anything starts: a setting error
    with ExitStack() as stack:
        store, verdict = open_checked_store(settings, broker)
        stack.callback(store.close)
        logger.info("executor state %s: %s (%d commands known)", store.path, verdict.value, len(store))
        if venue is None:
            venue = venue_from_settings(settings, stack)
        framing = stage_framing(settings, [EXEC_TRADE_RESULT, EXEC_QUOTE_SETTLEMENT, DEAD_LETTER_TOPIC])
        create_topics(broker, [*INPUTS, EXEC_TRADE_RESULT, EXEC_QUOTE_SETTLEMENT, DEAD_LETTER_TOPIC])
        # A fixed transactional.id: a restart's init_transactions aborts what a killed run left open
        # (a random one would hold read_committed readers back until the transaction timed out).
        txn = {"transactional.id": consumer_group(settings)}
        app = quix_application(
            settings, broker, STAGE, monitor=monitor, loglevel=None, producer_extra_config=txn
        )
        producer = app.get_producer(transactional=exactly_once)
        consumer = app.get_consumer(auto_commit_enable=False)
        stack.callback(consumer.close)  # leaves the group; offsets are committed per batch, not here
        stack.enter_context(_stop_on_signals(stop))
        loop = ExecuteLoop(
            consumer,
            producer,
            store,
            venue,
            metrics,
            exactly_once=exactly_once,
            max_record_bytes=settings.max_message_bytes,
            settlement_grace=timedelta(milliseconds=settings.settlement_grace_ms),
            framing=framing,
            history=history,
            max_batch=max_batch or settings.executor_max_batch,
            poll_timeout_s=settings.poll_timeout_s,
            on_assigned=on_assigned,
        )
        loop.run(stop)
        logger.info("stopped after a committed batch")
