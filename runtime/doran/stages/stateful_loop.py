"""The poll loop the two stateful stages (execute, settle) share: a working store per assigned input
partition brought up to date from the changelog before that partition is read, and the commit of
outputs, changelog records and input offsets in one transaction. How a stage is opened (topics,
clients, stores) is `doran.stages.stateful_stage`.

Assignment happens inside poll, before any record of the partition is returned: its store is opened
(a file that cannot be read is moved aside and rebuilt) and the changelog replayed into it. On
revocation, the stage finishes (or abandons) its in-flight work for those partitions before their
stores close; the files stay, so a partition that comes back replays only what it missed. On loss
(the group moved on without this replica), in-flight work is abandoned, never committed: the new
owner has it from the changelog. A working store that fails (`doran.state.StateError`: full,
read-only, damaged) stops the loop: the stage turns unready and the error leaves, with nothing more
committed or sent.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from confluent_kafka import KafkaException, Message, TopicPartition

from doran.contracts import DeadLetterStage, Envelope
from doran.schema_source.registry import TopicSpec
from doran.stages.handling import Consumed, Handled
from doran.stages.lifecycle import Value
from doran.stages.quix_stage import tune_garbage_collector
from doran.stages.stateful_stage import PendingChange, StageParts
from doran.stages.transactions import StageTransactions
from doran.state import (
    ChangelogRecord,
    RestoreReport,
    StateError,
    changelog_record,
)
from doran.wire import KafkaRecord

__all__ = ["StatefulLoop", "Timed", "Transaction"]

logger = logging.getLogger("doran.stateful")
_FORGET_EVERY = timedelta(minutes=1)

#: A record the stage's clock decided (no message answered), with its kind: what `timed` counts.
Timed = tuple[str, KafkaRecord]


@dataclass(eq=False, slots=True)
class Transaction:
    """One transaction's content, ready to run (on this thread or another)."""

    transactions: StageTransactions
    records: list[KafkaRecord]
    logged: list[ChangelogRecord]
    offsets: list[TopicPartition]
    group: object | None
    changes: list[PendingChange]
    handled: list[tuple[Consumed, Handled]]
    timed: list[Timed]

    def run(self) -> dict[int, int]:
        """Commit it; the last changelog offset written per partition."""
        return self.transactions.commit(self.records, self.logged, self.offsets, self.group)


class StatefulLoop:
    """The poll loop of a stateful stage; subclasses decide (`_step`) and finish in-flight work."""

    inputs: tuple[TopicSpec[Envelope], ...] = ()
    dead_letter_stage: DeadLetterStage

    def __init__(
        self, parts: StageParts, *, history_tables: Sequence[str], kafka_timeout_s: float = 30.0
    ) -> None:
        if parts.max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, got {parts.max_batch}")
        self._consumer = parts.consumer
        self._transactions = parts.transactions
        self._stores = parts.stores
        self._metrics = parts.metrics
        self._framing = parts.framing
        self._max_batch = parts.max_batch
        self._poll_timeout_s = parts.poll_timeout_s
        self._max_record_bytes = parts.max_record_bytes
        self._history = parts.history
        self._history_tables = tuple(history_tables)
        self._kafka_timeout_s = kafka_timeout_s
        self._clock = parts.clock
        self._on_assigned = parts.on_assigned
        self._on_state_failure = parts.on_state_failure
        self._state_failed = False  # once true, nothing more is committed, applied or sent
        self._tender = parts.tender
        self._lifecycle = parts.lifecycle
        self._callback_error: BaseException | None = None
        self._asking = threading.Lock()
        self._forgotten_at = datetime.min.replace(tzinfo=UTC)

    # --- the loop -------------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Process batches until `stop` is set; the work in flight is finished first."""
        self._transactions.start()  # before joining: aborts what this replica's last run left open
        tune_garbage_collector()  # the working stores' recent rows in memory would be rescanned otherwise
        self._consumer.subscribe(
            [topic.name for topic in self.inputs],
            on_assign=self._assign,
            on_revoke=self._revoke,
            on_lost=self._lose,
        )
        try:
            while not stop.is_set():
                consumed = self._poll(self._poll_timeout())
                if self._callback_error is not None:
                    raise self._callback_error
                self._stores.check()  # a commit that failed on a store's thread stops the stage here
                if self._tender is not None:
                    self._tender.tend()
                started = time.perf_counter()
                self._step(consumed, self._clock())
                if consumed:
                    self._metrics.batch_seconds.observe(time.perf_counter() - started)
                self._forget()
            self._finish()
        except StateError as exc:
            # A store that failed (full, read-only, damaged) stops the stage: unready at once, then the
            # error leaves (the process exits for a restart, which rebuilds the store from the changelog).
            # The revocation as the consumer closes must not finish the work in flight: what was
            # begun but not applied is not sent; its next owner recovers it from the changelog.
            self._state_failed = True
            self._on_state_failure(exc)
            raise
        finally:
            self._stores.close_all()

    def _poll(self, timeout_s: float) -> list[Consumed]:
        """One message (waiting up to timeout_s), then what is already fetched, up to max_batch: a batch
        never waits to fill, and grows with the load on its own."""
        first = self._consumer.poll(timeout_s)
        if first is None:
            return []
        polled = [first, *self._consumer.consume(self._max_batch - 1, 0)] if self._max_batch > 1 else [first]
        consumed = []
        for message in polled:
            error = message.error()
            if error is not None:
                if error.fatal():
                    raise KafkaException(error)
                logger.warning("consumer: %s", error)
                continue
            partition = message.partition()
            if partition is not None and partition in self._stores:
                consumed.append(_consumed(message))
        return consumed

    # --- what subclasses do ---------------------------------------------------------------------

    def _poll_timeout(self) -> float:
        return self._poll_timeout_s

    def _step(self, consumed: list[Consumed], now: datetime) -> None:
        raise NotImplementedError

    def _finish(self) -> None:
        """Finish the work in flight before stopping (the default has none)."""

    def _ready(
        self, partition: int, report: RestoreReport, committed: Mapping[str, int]
    ) -> Mapping[str, Value] | None:
        """The partition's store is up to date (a subclass checks it, loads what it keeps in memory);
        what to add to the partition's `restored` lifecycle line."""
        return None

    def _revoking(self, partitions: set[int]) -> None:
        """Finish or abandon in-flight work of these partitions: they are about to be taken away."""

    def _losing(self, partitions: set[int]) -> None:
        """Abandon in-flight work of these partitions, committing nothing: they are gone already."""

    # --- committing -----------------------------------------------------------------------------

    def _commit(
        self,
        handled: Sequence[tuple[Consumed, Handled]],
        changes: Sequence[PendingChange],
        timed: Sequence[Timed] = (),
    ) -> None:
        """Produce the handled messages' records (and the `timed` ones), the changes, and commit the
        offsets past the handled messages, in one transaction; then apply the changes and count."""
        work = self._transaction(handled, changes, timed)
        if work is not None:
            self._committed_work(work, work.run())

    def _transaction(
        self,
        handled: Sequence[tuple[Consumed, Handled]],
        changes: Sequence[PendingChange],
        timed: Sequence[Timed] = (),
        unfinished: Sequence[Consumed] = (),
    ) -> Transaction | None:
        """What one transaction carries (None when nothing): its records, changelog and offsets. The
        offsets: past the handled messages, but not past an `unfinished` one (in flight, its outcome
        in a later transaction): its partition's offset stays at the oldest of them, as committed
        already, so that the transaction still carries the group's metadata (a replica that lost the
        group cannot commit it, KIP-447) and moves no offset backwards."""
        records = [record for _, outcome in handled for record in outcome.records]
        records.extend(record for _, record in timed)
        positions: dict[tuple[str, int], int] = {}
        for message, _ in handled:
            where = (message.topic, message.partition or 0)
            positions[where] = max(positions.get(where, 0), (message.offset or 0) + 1)
        for message in unfinished:
            where = (message.topic, message.partition or 0)
            positions[where] = min(positions.get(where, message.offset or 0), message.offset or 0)
        if not records and not changes and not positions:
            return None
        offsets = [
            TopicPartition(topic, partition, offset) for (topic, partition), offset in positions.items()
        ]
        logged = [changelog_record(partition, change, source) for partition, change, source in changes]
        group = self._consumer.consumer_group_metadata() if offsets else None
        return Transaction(
            self._transactions, records, logged, offsets, group, list(changes), list(handled), list(timed)
        )

    def _committed_work(self, work: Transaction, written: Mapping[int, int]) -> None:
        """A transaction committed: its changes go into the stores, its messages are counted."""
        self._stores.apply(work.changes, written)
        for _, outcome in work.handled:
            self._metrics.count(outcome)
        for kind, record in work.timed:
            self._metrics.count_timed(kind, record.topic)

    def _committed(self, partition: int) -> dict[str, int]:
        """The group's committed offset on this partition of each input topic that has one."""
        asked = [TopicPartition(topic.name, partition) for topic in self.inputs]
        with self._asking:  # restores ask from their threads
            found = self._consumer.committed(asked, timeout=self._kafka_timeout_s)
        return {tp.topic: tp.offset for tp in found if tp.offset >= 0}

    def _forget(self) -> None:
        """Forget rows older than the history, a batch's worth per store, once a minute."""
        now = self._clock()
        if self._history is None or now - self._forgotten_at < _FORGET_EVERY:
            return
        self._forgotten_at = now
        for partition in self._stores:
            for table in self._history_tables:
                self._stores[partition].forget(table, now - self._history, limit=self._max_batch)

    # --- rebalance callbacks (inside poll) --------------------------------------------------------

    def _assign(self, _consumer: object, partitions: list[TopicPartition]) -> None:
        try:
            new = sorted({tp.partition for tp in partitions} - set(self._stores))
            committed = {number: self._committed(number) for number in new}
            # One restore per partition, side by side: each waits mostly on the broker.
            with ThreadPoolExecutor(max(1, len(new)), thread_name_prefix="restore") as restoring:
                reports = list(restoring.map(lambda n: self._stores.open(n, lambda: self._committed(n)), new))
            for number, report in zip(new, reports, strict=True):
                said = self._ready(number, report, committed[number]) or {}
                self._lifecycle.log(
                    "restored",
                    partition=number,
                    changes=report.applied,
                    skipped=report.skipped,
                    changelog_end=report.end,
                    seconds=round(report.seconds, 3),
                    **said,
                )
            logger.info("assigned partitions %s", sorted(set(self._stores)))
            self._on_assigned()
        except BaseException as exc:  # raised from the loop: a callback's exception is easily lost
            self._callback_error = self._callback_error or exc

    def _revoke(self, _consumer: object, partitions: list[TopicPartition]) -> None:
        try:
            gone = {tp.partition for tp in partitions} & set(self._stores)
            if self._callback_error is None and not self._state_failed:
                self._revoking(gone)
            for number in gone:
                self._stores.close(number)
            logger.info("revoked partitions %s", sorted(gone))
        except BaseException as exc:
            self._callback_error = self._callback_error or exc

    def _lose(self, _consumer: object, partitions: list[TopicPartition]) -> None:
        try:
            gone = {tp.partition for tp in partitions} & set(self._stores)
            self._losing(gone)
            for number in gone:
                self._stores.close(number)
            logger.warning(
                "lost partitions %s (the group moved on): their work in flight is abandoned", sorted(gone)
            )
        except BaseException as exc:
            self._callback_error = self._callback_error or exc


def _consumed(message: Message) -> Consumed:
    key = message.key()
    value = message.value()
    return Consumed(
        message.topic() or "",
        message.partition(),
        message.offset(),
        key.encode() if isinstance(key, str) else key,
        (value.encode() if isinstance(value, str) else value) or b"",
        message.headers(),
    )
