"""The settle stage: exec.quote_signed + raw.near_intents.quote_status -> exec.quote_settlement, each
signed quote settled once, filled or expired (`doran.stages.settle_loop`).

Like the executor it keeps a working store per input partition under DORAN_SETTLEMENT_STATE_DIR,
restored from its changelog `<group>.changelog` on assignment, and each replica has a stable
transactional.id (DORAN_REPLICA). Its two inputs must have the same partitions (same key, same
partitioner): it refuses to start otherwise. Run it with `doran stage settle`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import ExitStack
from datetime import timedelta

from doran.broker import TopicSetupError, create_topics
from doran.contracts import (
    DEAD_LETTER_TOPIC,
    EXEC_QUOTE_SETTLEMENT,
    EXEC_QUOTE_SIGNED,
    RAW_NEAR_INTENTS_QUOTE_STATUS,
)
from doran.settings import Settings
from doran.settlement import REDELIVERING_TOPICS, TABLES
from doran.stages.execute import input_partitions, stop_on_signals
from doran.stages.metrics import ConsumerMonitor, StageMetrics
from doran.stages.settle_loop import SettleLoop
from doran.stages.stateful_loop import PartitionStores, stateful_clients
from doran.stages.transactions import StageTransactions
from doran.state import changelog_topic, ensure_changelog, history_horizon

__all__ = ["STAGE", "run_settle_stage"]

STAGE = "settle"
logger = logging.getLogger("doran.settle")


def run_settle_stage(
    settings: Settings,
    broker: str,
    *,
    metrics: StageMetrics | None = None,
    monitor: ConsumerMonitor | None = None,
    stop: threading.Event | None = None,
    on_assigned: Callable[[], None] = lambda: None,
) -> None:
    """Settle quotes until `stop` is set or SIGTERM/SIGINT arrives; returns after a clean close."""
    stop = stop if stop is not None else threading.Event()
    metrics = metrics if metrics is not None else StageMetrics(STAGE, monitor)
    history = history_horizon(settings.history_days, REDELIVERING_TOPICS)
    group = settings.stage_group(STAGE)
    changelog = changelog_topic(group)
    with ExitStack() as stack:
        create_topics(
            broker,
            [EXEC_QUOTE_SIGNED, RAW_NEAR_INTENTS_QUOTE_STATUS, EXEC_QUOTE_SETTLEMENT, DEAD_LETTER_TOPIC],
        )
        signed = input_partitions(broker, EXEC_QUOTE_SIGNED.name)
        statuses = input_partitions(broker, RAW_NEAR_INTENTS_QUOTE_STATUS.name)
        if signed != statuses:
            raise TopicSetupError(
                f"{EXEC_QUOTE_SIGNED.name} has {signed} partitions and {RAW_NEAR_INTENTS_QUOTE_STATUS.name} "
                f"{statuses}: a quote and its status must land in partitions of the same number. Give both "
                "the partitions schemas/topics.json declares."
            )
        ensure_changelog(
            broker,
            changelog,
            partitions=signed,
            replication_factor=EXEC_QUOTE_SIGNED.replication_factor,
            retention_ms=-1 if history is None else int(history.total_seconds() * 1000),
        )
        consumer, producer = stateful_clients(settings, broker, STAGE, monitor)
        stack.callback(consumer.close)
        stores = PartitionStores(
            settings.settlement_state_dir,
            TABLES,
            broker=broker,
            changelog=changelog,
            restore_timeout_s=settings.restore_timeout_s,
        )
        stack.enter_context(stop_on_signals(stop))
        logger.info(
            "settlement replica %s (transactional.id %s), state in %s",
            settings.replica,
            settings.transactional_id(STAGE),
            settings.settlement_state_dir,
        )
        loop = SettleLoop(
            consumer,
            StageTransactions(producer, consumer, changelog, timeout_s=30.0),
            stores,
            metrics,
            grace=timedelta(milliseconds=settings.settlement_grace_ms),
            unmatched_wait=timedelta(milliseconds=settings.settlement_unmatched_wait_ms),
            max_batch=settings.executor_max_batch,
            poll_timeout_s=settings.poll_timeout_s,
            max_record_bytes=settings.max_message_bytes,
            history=history,
            on_assigned=on_assigned,
        )
        loop.run(stop)
        logger.info("stopped")
