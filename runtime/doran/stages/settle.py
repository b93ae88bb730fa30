"""The settle stage: exec.quote_signed + raw.near_intents.quote_status -> exec.quote_settlement, each
signed quote settled once, filled or expired (`doran.stages.settle_loop`).

Like the executor it keeps a working store per input partition under DORAN_SETTLEMENT_STATE_DIR,
restored from its changelog `<group>.changelog` on assignment, and each replica has a stable
transactional.id (DORAN_REPLICA). Its two inputs must have the same partitions (same key, same
partitioner): it refuses to start otherwise. Run it with `doran stage settle`.

With DORAN_SETTLEMENT_RECONCILE=relay it asks the relay's get_status (DORAN_RELAY_RPC_URL, derived from
DORAN_RELAY_URL when unset) about each quote no quote_status settled by its deadline and the grace,
on threads of its own (`doran.relay.intent_status`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import ExitStack
from datetime import timedelta

from doran.contracts import EXEC_QUOTE_SETTLEMENT, EXEC_QUOTE_SIGNED, RAW_NEAR_INTENTS_QUOTE_STATUS
from doran.relay.intent_status import IntentStatusAsker, IntentStatusClient, rpc_url
from doran.settings import Settings
from doran.settlement import REDELIVERING_TOPICS, TABLES
from doran.stages.kafka_watch import KafkaWatch
from doran.stages.metrics import StageMetrics
from doran.stages.settle_loop import SettleLoop
from doran.stages.stateful_stage import open_stateful_stage
from doran.stages.stateful_tender import STATEFUL_READINESS, stateful_watch

__all__ = ["STAGE", "run_settle_stage"]

STAGE = "settle"
logger = logging.getLogger("doran.settle")
_RPC_TIMEOUT_S = 5.0  # one get_status; the stage's loop never waits for it
_RPC_WORKERS = 4  # get_status requests in flight at most
# Settling is not on a quote's way (the quote was answered before its signed record is published, and a
# fill takes seconds): its inputs are read in batches, a fetch a quarter second, not a fetch a record.
_READ_IN_BATCHES_MS = 250


def run_settle_stage(
    settings: Settings,
    broker: str,
    *,
    metrics: StageMetrics | None = None,
    watch: KafkaWatch | None = None,
    stop: threading.Event | None = None,
    on_assigned: Callable[[], None] = lambda: None,
) -> None:
    """Settle quotes until `stop` is set or SIGTERM/SIGINT arrives; returns after a clean close. `watch`
    follows its clients (readiness, lifecycle); `doran stage settle` gives the one its probes read."""
    stop = stop if stop is not None else threading.Event()
    watch = watch if watch is not None else stateful_watch(STAGE, STATEFUL_READINESS)
    metrics = metrics if metrics is not None else StageMetrics(STAGE, watch.consumer_monitor)
    with ExitStack() as stack:
        parts = open_stateful_stage(
            stack,
            settings,
            broker,
            STAGE,
            inputs=(EXEC_QUOTE_SIGNED, RAW_NEAR_INTENTS_QUOTE_STATUS),
            outputs=(EXEC_QUOTE_SETTLEMENT,),
            tables=TABLES,
            state_dir=settings.settlement_state_dir,
            redelivering=REDELIVERING_TOPICS,
            metrics=metrics,
            watch=watch,
            max_batch=settings.executor_max_batch,
            stop=stop,
            on_assigned=on_assigned,
            read_in_batches_ms=_READ_IN_BATCHES_MS,
        )
        asker = None
        if settings.settlement_reconcile == "relay":
            url = settings.relay_rpc_url or rpc_url(settings.relay_url)
            client = IntentStatusClient(url, api_key=settings.relay_api_key, timeout_s=_RPC_TIMEOUT_S)
            asker = stack.enter_context(IntentStatusAsker(client, workers=_RPC_WORKERS))
            logger.info("reconciling quotes without a quote_status through the relay's get_status at %s", url)
        loop = SettleLoop(
            parts,
            grace=timedelta(milliseconds=settings.settlement_grace_ms),
            unmatched_wait=timedelta(milliseconds=settings.settlement_unmatched_wait_ms),
            asker=asker,
            reconcile_retry=timedelta(milliseconds=settings.settlement_reconcile_retry_ms),
        )
        loop.run(stop)
        logger.info("stopped")
