"""The executor's poll loop, pipelined: batch n+1 is signed while batch n's answers come in.

Each step, one transaction:
1. the new poll batch is admitted (`CommandFlow.admit`): verdicts for what needs no venue, quotes
   signed for the new commands;
2. the batch in flight (sent last step) is concluded: the venue's answers become results;
3. one transaction publishes the concluded batch (results, signed quotes, dead letters), its `done`
   records and its input offsets, together with the new batch's `processing` records;
4. then, and only then, the new batch's quotes are sent, and it is in flight until the next step.
So a quote leaves the process only once its `processing` record is committed to the changelog, in
Kafka: a replica that dies at any point leaves it to the partition's next owner, which recovers it
(never sending it again). On revocation, the batch in flight is concluded and committed inside the
rebalance callback, before the partitions move; on loss it is abandoned.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from confluent_kafka import Consumer

from doran.contracts import CMD_EXECUTE_TRADE, DeadLetterStage
from doran.executor import TABLE, Batch, CommandFlow, CommandRecord, IdempotencyHistoryLost, Venue
from doran.stages.handling import Consumed, Handled, handled
from doran.stages.metrics import StageMetrics
from doran.stages.stateful_loop import PartitionStores, PendingChange, StatefulLoop
from doran.stages.transactions import StageTransactions
from doran.state import Change, RestoreReport, Row
from doran.wire import utc_timestamp

__all__ = ["ExecuteLoop"]

logger = logging.getLogger("doran.execute")


@dataclass(eq=False, slots=True)
class _InFlight:
    consumed: list[Consumed]
    batch: Batch


class ExecuteLoop(StatefulLoop):
    """Consume commands, answer each once, publish each result once (see the module docstring)."""

    inputs = (CMD_EXECUTE_TRADE,)
    dead_letter_stage = DeadLetterStage.EXECUTE

    def __init__(
        self,
        consumer: Consumer,
        transactions: StageTransactions,
        stores: PartitionStores,
        metrics: StageMetrics,
        *,
        venue: Venue,
        answer_margin: timedelta,
        allow_missing_state: bool,
        max_batch: int,
        poll_timeout_s: float,
        max_record_bytes: int,
        history: timedelta | None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_assigned: Callable[[], None] = lambda: None,
    ) -> None:
        super().__init__(
            consumer,
            transactions,
            stores,
            metrics,
            max_batch=max_batch,
            poll_timeout_s=poll_timeout_s,
            max_record_bytes=max_record_bytes,
            history=history,
            history_tables=(TABLE,),
            clock=clock,
            on_assigned=on_assigned,
        )
        self._flow = CommandFlow(venue, self.lookup, answer_margin=answer_margin)
        self._allow_missing_state = allow_missing_state
        self._in_flight: _InFlight | None = None

    def lookup(self, partition: int, command_id: str, born_at: datetime | None) -> CommandRecord | None:
        """The command's record in its partition's store (the flow's `lookup`)."""
        row = self._stores[partition].get(TABLE, command_id, born_at=born_at)
        return None if row is None else CommandRecord.from_json(row.value)

    def _poll_timeout(self) -> float:
        # With a batch in flight, take what is fetched already: its answers are waiting to be concluded.
        return 0.0 if self._in_flight is not None else self._poll_timeout_s

    def _step(self, consumed: list[Consumed], now: datetime) -> None:
        admitted = None
        if consumed:
            admitted = _InFlight(
                consumed, self._flow.admit([(m.partition or 0, m.value) for m in consumed], now)
            )
        self._conclude_and_commit(begin=admitted)
        if admitted is not None:
            self._flow.send(admitted.batch, self._clock())
            self._in_flight = admitted

    def _conclude_and_commit(self, begin: _InFlight | None) -> None:
        """Conclude the batch in flight (if any) and commit it with `begin`'s processing records."""
        finished, self._in_flight = self._in_flight, None
        now = self._clock()
        outcomes: list[tuple[Consumed, Handled]] = []
        changes: list[PendingChange] = []
        if finished is not None:
            self._flow.conclude(finished.batch, now)
            at = utc_timestamp(now)
            for message, item in zip(finished.consumed, finished.batch.items, strict=True):
                assert item.verdict is not None
                outcomes.append(
                    (
                        message,
                        handled(item.verdict, message, self.dead_letter_stage, now, self._max_record_bytes),
                    )
                )
                if item.record is not None and item.command is not None:
                    row = Row(at, item.record.to_json())
                    source = (message.topic, message.offset or 0)
                    changes.append((item.partition, Change(TABLE, item.command_id, row), source))
        if begin is not None:
            at = utc_timestamp(now)
            for partition, command_id, record in begin.batch.begun:
                changes.append((partition, Change(TABLE, command_id, Row(at, record.to_json())), None))
        try:
            self._commit(outcomes, changes)
        finally:
            if finished is not None:
                self._flow.release(finished.batch)

    def _finish(self) -> None:
        self._conclude_and_commit(begin=None)

    def _ready(self, partition: int, report: RestoreReport, committed: Mapping[str, int]) -> None:
        consumed = committed.get(CMD_EXECUTE_TRADE.name, 0)
        if report.end == 0 and consumed > 0 and not self._allow_missing_state:
            raise IdempotencyHistoryLost(
                f"The executor's changelog holds nothing for partition {partition}, but its consumer group "
                f"committed offset {consumed} on {CMD_EXECUTE_TRADE.name}[{partition}]: commands were "
                "executed and their idempotency history is gone (the changelog topic was deleted, or the "
                "broker lost it). Starting could answer a command still inside its auction window again. "
                "Restore the changelog topic; or, accepting that risk, start once with "
                "DORAN_EXECUTOR_ALLOW_MISSING_STATE=true."
            )

    def _revoking(self, partitions: set[int]) -> None:
        # Inside the rebalance, before the partitions move: what was sent gets its results now.
        if self._in_flight is not None:
            count = len(self._in_flight.batch.sent)
            self._conclude_and_commit(begin=None)
            logger.info(
                "revoking %s: concluded and committed %d commands in flight", sorted(partitions), count
            )

    def _losing(self, partitions: set[int]) -> None:
        # The group moved on: committing could only be refused (Redpanda, Kafka) or be a zombie's
        # write (tansu). The new owner recovers these commands from their processing records.
        if self._in_flight is not None:
            logger.warning(
                "lost %s: %d commands in flight abandoned; their next owner recovers them",
                sorted(partitions),
                len(self._in_flight.batch.sent),
            )
            self._flow.release(self._in_flight.batch)
            self._in_flight = None

    @property
    def in_flight(self) -> Sequence[Consumed]:
        return [] if self._in_flight is None else self._in_flight.consumed
