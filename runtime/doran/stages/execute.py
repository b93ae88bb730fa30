"""The execute stage: cmd.execute_trade -> exec.trade_result (+ exec.quote_signed), each command sent at
most once and ended by exactly one result, on any number of replicas.

Replicas share one consumer group; each owns some partitions of cmd.execute_trade and keeps their
state in a working store per partition under EXECUTOR_STATE_DIR, restored from the changelog
`<group>.changelog` whenever it is assigned a partition (doran.state): a lost volume or a moved
partition needs no operator. Each replica has its own stable transactional.id (DORAN_REPLICA: in a
StatefulSet, the pod name). The loop is `doran.stages.execute_loop`. Run it with `doran stage execute`.

It is ready (/readyz) while its partitions are assigned and restored, its consumer and its transactional
producer reach a broker, and the relay session is connected; a relay that refuses its token stops it
with one line (a token is read only at start), as it stops ingest.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import timedelta

from doran.contracts import CMD_EXECUTE_TRADE, EXEC_QUOTE_SIGNED, EXEC_TRADE_RESULT
from doran.executor import REDELIVERING_TOPICS, TABLE, Venue
from doran.relay import RelaySession
from doran.settings import Settings
from doran.stages.execute_loop import ExecuteLoop
from doran.stages.kafka_watch import KafkaWatch
from doran.stages.metrics import StageMetrics
from doran.stages.stateful_stage import open_stateful_stage
from doran.stages.stateful_tender import EXECUTE_READINESS, stateful_watch
from doran.venues import NearIntentsVenue, venue_from_settings

__all__ = ["STAGE", "run_execute_stage"]

STAGE = "execute"
logger = logging.getLogger("doran.execute")
#: How long the stage waits at start for the relay's first handshake to succeed or be refused.
_FIRST_HANDSHAKE_S = 10.0


def run_execute_stage(
    settings: Settings,
    broker: str,
    *,
    metrics: StageMetrics | None = None,
    watch: KafkaWatch | None = None,
    venue: Venue | None = None,
    stop: threading.Event | None = None,
    max_batch: int | None = None,
    on_assigned: Callable[[], None] = lambda: None,
) -> None:
    """Execute commands until `stop` is set or SIGTERM/SIGINT arrives; returns after a clean close.

    Raises IdempotencyHistoryLost on a partition whose changelog holds nothing although the group
    committed offsets there (override: DORAN_EXECUTOR_ALLOW_MISSING_STATE=true), HistoryTooShort
    when DORAN_HISTORY_DAYS would forget commands that can come again. `venue` defaults to the one
    the settings configure (`doran.venues.venue_from_settings`). `watch` follows its clients and its
    relay (readiness, lifecycle); `doran stage execute` gives the one its probes read.
    """
    stop = stop if stop is not None else threading.Event()
    watch = watch if watch is not None else stateful_watch(STAGE, EXECUTE_READINESS)
    metrics = metrics if metrics is not None else StageMetrics(STAGE, watch.consumer_monitor)
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
            watch=watch,
            max_batch=max_batch or settings.executor_max_batch,
            stop=stop,
            on_assigned=on_assigned,
        )
        venue = venue if venue is not None else venue_from_settings(settings, stack)
        relay = _relay_of(venue)
        if parts.tender is not None:
            parts.tender.follow_relay(relay)
            if relay is not None:  # a refused token stops it before it takes a command
                _first_handshake(relay, _FIRST_HANDSHAKE_S)
                parts.tender.check_relay()
        loop = ExecuteLoop(
            parts,
            venue=venue,
            answer_margin=timedelta(milliseconds=settings.executor_answer_margin_ms),
            allow_missing_state=settings.executor_allow_missing_state,
        )
        loop.run(stop)
        logger.info("stopped after committing the work in flight")


def _first_handshake(relay: RelaySession, timeout_s: float) -> None:
    """Wait until the relay accepted or refused the session's first handshake, or timeout_s passed (a
    relay that is down: the stage starts unready)."""
    deadline = time.monotonic() + timeout_s
    while relay.refused is None and not relay.wait_connected(0.05) and time.monotonic() < deadline:
        pass


def _relay_of(venue: Venue) -> RelaySession | None:
    """The relay session the venue sends through; None for a venue without one (simulated)."""
    if isinstance(venue, NearIntentsVenue) and isinstance(venue.session, RelaySession):
        return venue.session
    return None
