"""The executor's poll loop, pipelined: the next batch is signed while the relay answers the last one and
while their transaction commits.

Batches move through four places, in order:
- admitted: decided and signed (`CommandFlow.admit`), nothing written yet;
- begun: their `processing` records are in the transaction under way, on the committer thread;
- sent: that transaction committed, so their quotes were sent (`CommandFlow.send`): answers due;
- concluded: answered (`CommandFlow.conclude`), their results, signed quotes, dead letters, `done`
  records and input offsets go into the next transaction, with the next admitted batches' `processing`
  records.
Each turn polls and admits what came, then either finishes the transaction under way (applies it to
the stores, sends what it began) or starts the next one, with the admitted batches and the sent
batches the relay has answered (oldest first): admitting overlaps the transaction and the relay's
answers alike, and a new batch does not wait for an older one's answers to be sent. It waits only
while a batch's worth of quotes is still unanswered: a relay that takes them slower than they come is
not flooded (its queue would make them late); the waiting ones expire cheaply if they must.

So a quote leaves the process only once its `processing` record is committed to the changelog, in
Kafka: a replica that dies at any point leaves it to the partition's next owner, which recovers it
without sending it again.

Revocation happens inside poll: the transaction under way is finished, what it began is sent and
concluded, and the result committed before the partitions move; what was only admitted is dropped
(its offsets were not committed: the next owner reads it again). On loss nothing more is committed
or sent.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from doran.contracts import CMD_EXECUTE_TRADE, DeadLetterStage
from doran.executor import (
    INCARNATION_KEY,
    TABLE,
    Batch,
    CommandFlow,
    CommandRecord,
    IdempotencyHistoryLost,
    Venue,
)
from doran.stages.handling import Consumed, Handled, handled
from doran.stages.lifecycle import Value
from doran.stages.stateful_loop import StatefulLoop, Transaction
from doran.stages.stateful_stage import PendingChange, StageParts
from doran.state import Change, RestoreReport, Row
from doran.wire import utc_timestamp

__all__ = ["ExecuteLoop"]

logger = logging.getLogger("doran.execute")
_ADMITTED_MAX = 2  # batches admitted ahead of their transaction; beyond, the loop stops polling
_ANSWER_POLL_S = 0.002  # how often answers are looked for while nothing else is to do


@dataclass(eq=False, slots=True)
class _Polled:
    """A poll batch and its way through the flow."""

    consumed: list[Consumed]
    batch: Batch


@dataclass(eq=False, slots=True)
class _Under:
    """The transaction under way, and what it carries."""

    future: Future[dict[int, int]]
    work: Transaction
    concluded: list[_Polled]
    begun: list[_Polled]


class ExecuteLoop(StatefulLoop):
    """Consume commands, answer each once, publish each result once (see the module docstring)."""

    inputs = (CMD_EXECUTE_TRADE,)
    dead_letter_stage = DeadLetterStage.EXECUTE

    def __init__(
        self, parts: StageParts, *, venue: Venue, answer_margin: timedelta, allow_missing_state: bool
    ) -> None:
        super().__init__(parts, history_tables=(TABLE,))
        self._incarnations: dict[int, str] = {}  # partitions whose history was overridden as missing
        self._flow = CommandFlow(
            venue,
            self.lookup,
            self._framing,
            answer_margin=answer_margin,
            incarnation=self._incarnations.get,
        )
        self._allow_missing_state = allow_missing_state
        self._markers: list[PendingChange] = []  # incarnations to write with the next transaction
        self._committer = ThreadPoolExecutor(1, thread_name_prefix="execute-committer")
        self._admitted: list[_Polled] = []
        self._under: _Under | None = None
        self._sent: list[_Polled] = []

    def lookup(self, partition: int, command_id: str, born_at: datetime | None) -> CommandRecord | None:
        """The command's record in its partition's store (the flow's `lookup`)."""
        row = self._stores[partition].get(TABLE, command_id, born_at=born_at)
        return None if row is None else CommandRecord.from_json(row.value)

    # --- the turn -----------------------------------------------------------------------------------

    def _poll(self, timeout_s: float) -> list[Consumed]:
        if len(self._admitted) >= _ADMITTED_MAX:
            return []  # the transaction under way first: its batches are ahead
        return super()._poll(timeout_s)

    def _poll_timeout(self) -> float:
        # With a transaction to finish, take only what is fetched already; with answers awaited (and
        # maybe batches waiting for room), look again soon; idle, wait for commands.
        if self._under is not None:
            return 0.0
        return _ANSWER_POLL_S if self._sent or self._admitted else self._poll_timeout_s

    def _step(self, consumed: list[Consumed], now: datetime) -> None:
        """Admit what was polled; then either finish the transaction under way (its batches are sent,
        and the next turn admits more while the relay answers), or start the next one."""
        if consumed:
            batch = self._flow.admit([(m.partition or 0, m.value, m.headers) for m in consumed], now)
            self._admitted.append(_Polled(consumed, batch))
        if self._under is not None:
            self._finish_transaction()
            return
        if self._admitted or (self._sent and self._flow.answered(self._sent[0].batch)):
            self._start_transaction()

    def _finish_transaction(self, *, send: bool = True) -> None:
        """Wait for the transaction under way; apply it, count it, send what it began."""
        under, self._under = self._under, None
        if under is None:
            return
        try:
            written = under.future.result()
        finally:
            for polled in under.concluded:
                self._flow.release(polled.batch)
        self._committed_work(under.work, written)
        self._log_recovered(under.concluded)
        if not send:
            self._abandon(under.begun)
            return
        now = self._clock()
        for polled in under.begun:
            self._flow.send(polled.batch, now)
        self._sent.extend(under.begun)

    def _start_transaction(self, *, begin: bool = True, wait: bool = False) -> None:
        """Conclude the sent batches the venue has answered, oldest first (all of them, waiting for
        their answers, when `wait`), and start the transaction that publishes them, with the
        `processing` records of the admitted batches when `begin` and fewer than a batch's worth of
        quotes are still unanswered."""
        answered = len(self._sent)
        if not wait:
            answered = next(
                (n for n, p in enumerate(self._sent) if not self._flow.answered(p.batch)), answered
            )
        concluded, self._sent = self._sent[:answered], self._sent[answered:]
        begin = begin and self._outstanding() < self._max_batch
        if not concluded and not begin:
            return  # the venue has enough to answer; the admitted batches wait for room
        begun: list[_Polled] = []
        if begin:
            begun, self._admitted = self._admitted, []
        now = self._clock()
        at = utc_timestamp(now)
        outcomes: list[tuple[Consumed, Handled]] = []
        changes: list[PendingChange] = []
        for polled in concluded:
            self._flow.conclude(polled.batch, now)
            for message, item in zip(polled.consumed, polled.batch.items, strict=True):
                assert item.verdict is not None
                outcomes.append(
                    (
                        message,
                        handled(item.verdict, message, self.dead_letter_stage, now, self._max_record_bytes),
                    )
                )
                if item.record is not None and item.command is not None:
                    source = (message.topic, message.offset or 0)
                    changes.append(
                        (
                            item.partition,
                            Change(TABLE, item.command_id, Row(at, item.record.to_json())),
                            source,
                        )
                    )
        # An override's incarnation goes first into its partition's changelog, before any command.
        changes[:0], self._markers = self._markers, []
        for polled in begun:
            for partition, command_id, record in polled.batch.begun:
                changes.append((partition, Change(TABLE, command_id, Row(at, record.to_json())), None))
        # The quotes it begins leave only if it commits: it carries the group's metadata even with
        # nothing concluded (the offsets of what is still in flight stay where they are).
        unfinished: list[Consumed] = []
        if any(polled.batch.to_send for polled in begun):
            unfinished = [message for polled in (*self._sent, *begun) for message in polled.consumed]
        work = self._transaction(outcomes, changes, unfinished=unfinished)
        if work is None:  # nothing to publish or begin (an empty batch): straight on
            for polled in concluded:
                self._flow.release(polled.batch)
            for polled in begun:
                self._flow.send(polled.batch, now)
            self._sent.extend(begun)
            return
        self._under = _Under(self._committer.submit(work.run), work, concluded, begun)

    def _drain(self) -> None:
        """Finish everything under way: the transaction, what it began (sent and concluded), committed."""
        self._finish_transaction()
        if self._sent:
            self._start_transaction(begin=False, wait=True)
            self._finish_transaction()

    def _abandon(self, polled: list[_Polled]) -> None:
        for batch in polled:
            self._flow.release(batch.batch)

    # --- lifecycle ----------------------------------------------------------------------------------

    def _finish(self) -> None:
        try:
            self._drain()
            self._abandon(self._admitted)
            self._admitted = []
        finally:
            self._committer.shutdown(wait=True)

    def _log_recovered(self, concluded: list[_Polled]) -> None:
        """One `recovered` line per partition whose commands, found `processing`, were concluded."""
        by_partition: dict[int, int] = {}
        for polled in concluded:
            for item in polled.batch.items:
                if item.recovered:
                    by_partition[item.partition] = by_partition.get(item.partition, 0) + 1
        for partition, count in sorted(by_partition.items()):
            self._lifecycle.log("recovered", partition=partition, commands=count)

    def _ready(
        self, partition: int, report: RestoreReport, committed: Mapping[str, int]
    ) -> Mapping[str, Value]:
        """Refuse a partition whose history is gone unless overridden; under the override, the
        partition gets an incarnation (its committed offset: the same for a replay of the same input),
        written to its changelog first, from which the ids of every answer it gives derive."""
        consumed = committed.get(CMD_EXECUTE_TRADE.name, 0)
        self._incarnations.pop(partition, None)
        if report.end == 0 and consumed > 0:
            if self._allow_missing_state:
                incarnation = f"overridden-at-{consumed}"
                self._incarnations[partition] = incarnation
                row = Row(utc_timestamp(self._clock()), {"incarnation": incarnation})
                self._markers.append((partition, Change(TABLE, INCARNATION_KEY, row), None))
                return {"history": "overridden", "resumed_at": consumed, "incarnation": incarnation}
            raise IdempotencyHistoryLost(
                f"The executor's changelog holds nothing for partition {partition}, but its consumer group "
                f"committed offset {consumed} on {CMD_EXECUTE_TRADE.name}[{partition}]: commands were "
                "executed and their idempotency history is gone (the changelog topic was deleted, or the "
                "broker lost it). Starting could answer a command still inside its auction window again. "
                "Restore the changelog topic; or, accepting that risk, start once with "
                "DORAN_EXECUTOR_ALLOW_MISSING_STATE=true."
            )
        marker = self._stores[partition].get(TABLE, INCARNATION_KEY)
        if marker is not None:
            self._incarnations[partition] = str(marker.value["incarnation"])
        return {
            "history": "restored" if report.end else "new",
            "resumed_at": consumed,
            "incarnation": self._incarnations.get(partition),
        }

    def _revoking(self, partitions: set[int]) -> None:
        # Inside the rebalance, before the partitions move: what was begun is sent, answered and
        # committed now; what was only admitted goes back to the partitions' next owner.
        sent = sum(len(p.batch.sent) for p in self._sent) + sum(
            len(p.batch.to_send) for p in self._under_begun()
        )
        self._drain()
        self._abandon(self._admitted)
        self._admitted = []
        self._markers = [marker for marker in self._markers if marker[0] not in partitions]
        logger.info("revoking %s: concluded and committed %d commands in flight", sorted(partitions), sent)

    def _losing(self, partitions: set[int]) -> None:
        # The group moved on: committing more could only be refused (Redpanda, Kafka) or be a zombie's
        # write (tansu). The new owner recovers these commands from their processing records.
        in_flight = sum(len(p.batch.sent) for p in self._sent)
        try:
            self._finish_transaction(send=False)
        finally:
            self._abandon(self._sent)
            self._abandon(self._admitted)
            self._sent, self._admitted = [], []
            self._markers = [marker for marker in self._markers if marker[0] not in partitions]
        logger.warning(
            "lost %s: %d commands in flight abandoned; their next owner recovers them",
            sorted(partitions),
            in_flight,
        )

    def _under_begun(self) -> list[_Polled]:
        return [] if self._under is None else self._under.begun

    def _outstanding(self) -> int:
        """Quotes sent whose answers are not concluded: what the venue still has to take."""
        return sum(len(polled.batch.sent) for polled in self._sent)
