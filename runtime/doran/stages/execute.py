"""The execute stage: cmd.execute_trade -> exec.trade_result (+ exec.quote_signed), each command sent at
most once and ended by exactly one result, on any number of replicas.

Replicas share one consumer group; each owns some partitions of cmd.execute_trade and keeps their
state in a working store per partition under EXECUTOR_STATE_DIR, restored from the changelog
`<group>.changelog` whenever it is assigned a partition (doran.state): a lost volume or a moved
partition needs no operator. Each replica has its own stable transactional.id (DORAN_REPLICA: in a
StatefulSet, the pod name). The loop is `doran.stages.execute_loop`. Run it with `doran stage execute`.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from types import FrameType

from confluent_kafka.admin import AdminClient

from doran.broker import TopicSetupError, create_topics
from doran.contracts import CMD_EXECUTE_TRADE, DEAD_LETTER_TOPIC, EXEC_QUOTE_SIGNED, EXEC_TRADE_RESULT
from doran.executor import REDELIVERING_TOPICS, TABLE, Venue
from doran.settings import Settings
from doran.stages.execute_loop import ExecuteLoop
from doran.stages.metrics import ConsumerMonitor, StageMetrics
from doran.stages.stateful_loop import PartitionStores, stateful_clients
from doran.stages.transactions import StageTransactions
from doran.state import changelog_topic, ensure_changelog, history_horizon
from doran.venues import venue_from_settings

__all__ = ["STAGE", "input_partitions", "run_execute_stage", "stop_on_signals"]

STAGE = "execute"
logger = logging.getLogger("doran.execute")


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM/SIGINT set `stop` (the work in flight is finished and committed); a second acts as usual."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        logger.info("signal %d: finishing the work in flight, then stopping", signum)
        stop.set()
        signal.signal(signum, previous[signal.Signals(signum)])

    for sig in previous:
        signal.signal(sig, request_stop)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def input_partitions(broker: str, topic: str, *, timeout_s: float = 15.0) -> int:
    """How many partitions `topic` has on the broker (its changelog gets as many)."""
    found = AdminClient({"bootstrap.servers": broker, "log_level": 0}).list_topics(topic, timeout=timeout_s)
    metadata = found.topics.get(topic)
    if metadata is None or metadata.error is not None or not metadata.partitions:
        raise TopicSetupError(f"Topic {topic!r} has no partitions on {broker}.")
    return len(metadata.partitions)


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

    Raises IdempotencyHistoryLost on a partition whose changelog holds nothing although the group
    committed offsets there (override: DORAN_EXECUTOR_ALLOW_MISSING_STATE=true), HistoryTooShort
    when DORAN_HISTORY_DAYS would forget commands that can come again. `venue` defaults to the one
    the settings configure (`doran.venues.venue_from_settings`).
    """
    stop = stop if stop is not None else threading.Event()
    metrics = metrics if metrics is not None else StageMetrics(STAGE, monitor)
    history = history_horizon(settings.history_days, REDELIVERING_TOPICS)  # before anything starts
    group = settings.stage_group(STAGE)
    changelog = changelog_topic(group)
    with ExitStack() as stack:
        if venue is None:
            venue = venue_from_settings(settings, stack)
        create_topics(broker, [CMD_EXECUTE_TRADE, EXEC_TRADE_RESULT, EXEC_QUOTE_SIGNED, DEAD_LETTER_TOPIC])
        ensure_changelog(
            broker,
            changelog,
            partitions=input_partitions(broker, CMD_EXECUTE_TRADE.name),
            replication_factor=CMD_EXECUTE_TRADE.replication_factor,
            retention_ms=-1 if history is None else int(history.total_seconds() * 1000),
        )
        consumer, producer = stateful_clients(settings, broker, STAGE, monitor)
        stack.callback(consumer.close)  # leaves the group; offsets are committed by transactions only
        stores = PartitionStores(
            settings.executor_state_dir,
            (TABLE,),
            broker=broker,
            changelog=changelog,
            restore_timeout_s=settings.restore_timeout_s,
        )
        stack.enter_context(stop_on_signals(stop))
        logger.info(
            "executor replica %s (transactional.id %s), state in %s, changelog %s",
            settings.replica,
            settings.transactional_id(STAGE),
            settings.executor_state_dir,
            changelog,
        )
        loop = ExecuteLoop(
            consumer,
            StageTransactions(producer, consumer, changelog, timeout_s=30.0),
            stores,
            metrics,
            venue=venue,
            answer_margin=timedelta(milliseconds=settings.executor_answer_margin_ms),
            allow_missing_state=settings.executor_allow_missing_state,
            max_batch=max_batch or settings.executor_max_batch,
            poll_timeout_s=settings.poll_timeout_s,
            max_record_bytes=settings.max_message_bytes,
            history=history,
            on_assigned=on_assigned,
        )
        loop.run(stop)
        logger.info("stopped after committing the work in flight")
