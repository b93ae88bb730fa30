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
import threading
from collections.abc import Callable
from contextlib import ExitStack
from datetime import timedelta

from doran.contracts import CMD_EXECUTE_TRADE, EXEC_QUOTE_SIGNED, EXEC_TRADE_RESULT
from doran.executor import REDELIVERING_TOPICS, TABLE, Venue
from doran.settings import Settings
from doran.stages.execute_loop import ExecuteLoop
from doran.stages.metrics import ConsumerMonitor, StageMetrics
from doran.stages.stateful_stage import open_stateful_stage
from doran.state import StateError
from doran.venues import venue_from_settings

__all__ = ["STAGE", "run_execute_stage"]

STAGE = "execute"
logger = logging.getLogger("doran.execute")


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
    on_state_failure: Callable[[StateError], None] = lambda _error: None,
) -> None:
    """Execute commands until `stop` is set or SIGTERM/SIGINT arrives; returns after a clean close.

    Raises IdempotencyHistoryLost on a partition whose changelog holds nothing although the group
    committed offsets there (override: DORAN_EXECUTOR_ALLOW_MISSING_STATE=true), HistoryTooShort
    when DORAN_HISTORY_DAYS would forget commands that can come again. `venue` defaults to the one
    the settings configure (`doran.venues.venue_from_settings`).
    """
    stop = stop if stop is not None else threading.Event()
    metrics = metrics if metrics is not None else StageMetrics(STAGE, monitor)
    with ExitStack() as stack:
        parts = open_stateful_stage(
            stack,
            settings,
            broker,
            STAGE,
            inputs=(CMD_EXECUTE_TRADE,),
            outputs=(EXEC_TRADE_RESULT, EXEC_QUOTE_SIGNED),
            tables=(TABLE,),
            state_dir=settings.executor_state_dir,
            redelivering=REDELIVERING_TOPICS,
            metrics=metrics,
            monitor=monitor,
            max_batch=max_batch or settings.executor_max_batch,
            stop=stop,
            on_assigned=on_assigned,
            on_state_failure=on_state_failure,
        )
        loop = ExecuteLoop(
            parts,
            venue=venue if venue is not None else venue_from_settings(settings, stack),
            answer_margin=timedelta(milliseconds=settings.executor_answer_margin_ms),
            allow_missing_state=settings.executor_allow_missing_state,
        )
        loop.run(stop)
        logger.info("stopped after committing the work in flight")
