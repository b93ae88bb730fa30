"""The executor's core: for each consumed trade command, exactly one verdict, and the record to keep.

A poll batch takes three steps, which the stage (`doran.stages.execute_loop`) interleaves with its
transactions:

1. `admit(batch, now)` decodes each record and decides what it needs, from the command's record in
   its partition's store (`lookup`):
   - not a command                                  -> Refuse: a dead letter
   - done, or already in flight in this process     -> Skip
   - `processing`: a run died after signing it      -> Publish what `venue.recover` knows; never resent
   - its auction closes within the answer margin    -> Publish QUOTE_EXPIRED; nothing signed
   - new                                            -> signed now (`venue.prepare`); its `processing`
     record (`Batch.begun`) must be committed before it may leave the process
   On a partition whose history was overridden as missing (`incarnation`), a command not in the store
   may have been answered before: its outputs derive their ids from `answered_again` (new ids).
2. `send(batch, now)`, once those records are committed: what is still inside its window is sent at
   once, the most urgent first; what is not ends QUOTE_EXPIRED, signed but never sent. Inside its
   window means: sent now, before answer_by less the answer margin and the longest time the venue
   took to answer a batch in the last seconds, or has been taking for a batch it has not answered yet
   (a relay with a queue takes a quote later than it was sent; a queue that grows shows first in the
   batch still waiting, before any answer says so).
3. `conclude(batch, now)` turns the venue's answers into verdicts: the result, and the signed quote
   when its settlement is awaited (`answered(batch)` says whether they are all in).
Each handled record then has its verdict and, when it published, the `done` record to commit with it.
Nothing here touches Kafka or a disk: the stage encodes the verdicts and runs the transactions.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from doran.contracts import CMD_EXECUTE_TRADE, ExecuteTradeEvent, ResultCode, TradeStatus
from doran.executor.command_record import DONE, CommandRecord, CommandState
from doran.executor.events import answered_again, quote_signed_event, trade_result_event
from doran.executor.venue import Prepared, Sending, Ticket, Venue, VenueOutcome
from doran.verdicts import Event, Publish, Refuse, Skip, Verdict
from doran.wire import ContractViolation, Framing, Headers, parse_timestamp

__all__ = ["Batch", "CommandFlow", "Handling", "Incarnation", "Lookup"]

#: How long a venue's answer time counts: the longest of this span is allowed for (a relay with a
#: queue takes a quote later than it was sent); older says nothing of its queue now.
_LAG_KEPT = timedelta(seconds=5)

#: The command's record in the store of its partition, or None; `born_at` bounds when it could first
#: have been written (the command's ingested_at), so the store can answer a miss from memory.
Lookup = Callable[[int, str, datetime | None], CommandRecord | None]
#: The incarnation of a partition whose history was overridden as missing, or None.
Incarnation = Callable[[int], str | None]


def _none(_partition: int) -> str | None:
    return None


@dataclass(eq=False, slots=True)
class Handling:
    """One consumed record on its way through the executor."""

    partition: int
    command: ExecuteTradeEvent | None = None
    verdict: Verdict | None = None
    record: CommandRecord | None = None  # committed with the verdict: `done` when it published
    ticket: Ticket | None = None  # signed, to be sent
    recovered: bool = False  # found `processing`: its verdict is what `venue.recover` knows

    @property
    def command_id(self) -> str:
        assert self.command is not None
        return self.command.payload.command_id


@dataclass(eq=False, slots=True)
class Batch:
    """A poll batch between admission and conclusion."""

    items: list[Handling]
    to_send: list[Handling] = field(default_factory=list)
    sending: Sending | None = None
    sent: list[Handling] = field(default_factory=list)
    sent_at: datetime | None = None  # when `sending` started

    @property
    def begun(self) -> list[tuple[int, str, CommandRecord]]:
        """(partition, command_id, record) of each command signed in this batch: the `processing`
        records to commit before any of them is sent."""
        return [
            (item.partition, item.command_id, CommandRecord.processing(item.command.event_id, item.ticket))
            for item in self.to_send
            if item.command is not None and item.ticket is not None
        ]

    @property
    def concluded(self) -> bool:
        return all(item.verdict is not None for item in self.items)


class CommandFlow:
    """Admits, sends and concludes batches of commands on one venue; remembers what is in flight."""

    def __init__(
        self,
        venue: Venue,
        lookup: Lookup,
        framing: Framing,
        *,
        answer_margin: timedelta,
        incarnation: Incarnation = _none,
    ) -> None:
        self._venue = venue
        self._lookup = lookup
        self._incarnation = incarnation
        self._framing = framing
        self._margin = answer_margin
        self._venue_lags: deque[tuple[datetime, timedelta]] = deque()  # (measured when, how long)
        self._unanswered: list[Batch] = []  # sent, not concluded: oldest first
        self._in_flight: set[str] = set()

    @property
    def in_flight(self) -> int:
        """Commands admitted whose records are not committed yet."""
        return len(self._in_flight)

    def admit(self, records: Sequence[tuple[int, bytes, Headers | None]], now: datetime) -> Batch:
        """Decide each (partition, value, headers) record; sign the new commands (not sent yet)."""
        batch = Batch(
            [self._admit_one(partition, value, headers, now) for partition, value, headers in records]
        )
        batch.to_send = [item for item in batch.items if item.ticket is not None]
        return batch

    def _admit_one(self, partition: int, value: bytes, headers: Headers | None, now: datetime) -> Handling:
        item = Handling(partition)
        try:
            command = self._framing.decode(CMD_EXECUTE_TRADE, value, headers)
        except ContractViolation as exc:
            item.verdict = Refuse(exc.reason, tuple(exc.violations))
            return item
        item.command = command
        command_id = command.payload.command_id
        if command_id in self._in_flight:
            item.verdict = Skip("in flight")
            return item
        record = self._lookup(partition, command_id, _instant(command.ingested_at))
        if record is not None and record.state is CommandState.DONE:
            item.verdict = Skip("done")
            return item
        self._in_flight.add(command_id)
        if record is not None:
            begun = command.model_copy(update={"event_id": record.event_id or command.event_id})
            outcome = self._venue.recover(command.payload, record.ticket)
            item.recovered = True
            self._finish(item, begun, outcome, record.ticket, now)
            return item
        incarnation = self._incarnation(partition)
        if incarnation is not None:  # its `processing` record keeps the id its outputs derive from
            command = command.model_copy(update={"event_id": answered_again(command.event_id, incarnation)})
            item.command = command
        if not self._open(command, now):
            self._finish(item, command, _closed(command, signed=False), Ticket(), now)
        else:
            item.ticket = self._venue.prepare(command.payload, now)
        return item

    def send(self, batch: Batch, now: datetime) -> None:
        """Send the batch's signed commands still inside their window (their `processing` records are
        committed); the others end QUOTE_EXPIRED, signed but not sent."""
        prepared = []
        for item in sorted(batch.to_send, key=_urgency):
            assert item.command is not None and item.ticket is not None
            if self._open(item.command, now):
                batch.sent.append(item)
                prepared.append(Prepared(item.command.payload, item.ticket))
            else:
                self._finish(item, item.command, _closed(item.command, signed=True), item.ticket, now)
        batch.sending = self._venue.send(prepared)
        if prepared:
            batch.sent_at = now
            self._unanswered.append(batch)

    def answered(self, batch: Batch) -> bool:
        """Whether the venue answered the batch (or never had to): `conclude` would not wait."""
        return batch.sending is None or batch.sending.ready()

    def conclude(self, batch: Batch, now: datetime) -> None:
        """Wait for the venue's answers and give every sent command its verdict."""
        if batch.sending is not None:
            outcomes = batch.sending.outcomes()
            for item, outcome in zip(batch.sent, outcomes, strict=True):
                assert item.command is not None and item.ticket is not None
                self._finish(item, item.command, outcome, item.ticket, now)
            if batch.sent and batch.sending.seconds is not None:
                self._venue_lags.append((now, timedelta(seconds=batch.sending.seconds)))
            batch.sending = None
        self._forget_sending(batch)
        assert batch.concluded

    def release(self, batch: Batch) -> None:
        """The batch's records are committed (or abandoned): its commands are no longer in flight."""
        self._forget_sending(batch)
        for item in batch.items:
            if item.command is not None:
                self._in_flight.discard(item.command_id)

    def _forget_sending(self, batch: Batch) -> None:
        if batch.sent_at is not None:
            self._unanswered = [other for other in self._unanswered if other is not batch]

    def _open(self, command: ExecuteTradeEvent, now: datetime) -> bool:
        """Whether a quote sent now reaches the relay before its auction closes (answer_by)."""
        closes = _instant(command.payload.answer_by)
        lags = self._venue_lags
        while lags and now - lags[0][0] > _LAG_KEPT:
            lags.popleft()
        waiting = (now - batch.sent_at for batch in self._unanswered[:1] if batch.sent_at is not None)
        margin = self._margin + max((*(lag for _, lag in lags), *waiting), default=timedelta(0))
        return closes is not None and now + margin < closes

    @staticmethod
    def _finish(
        item: Handling, command: ExecuteTradeEvent, outcome: VenueOutcome, ticket: Ticket, now: datetime
    ) -> None:
        events: list[Event] = [trade_result_event(command, outcome, ticket, now=now)]
        if outcome.awaits_settlement:
            signed = quote_signed_event(command, ticket, now=now)
            if signed is not None:
                events.append(signed)
        item.verdict = Publish(tuple(events))
        item.record = DONE


def _urgency(item: Handling) -> str:
    assert item.command is not None
    return item.command.payload.answer_by  # the contract's Timestamp: sorts as it reads


def _instant(text: str) -> datetime | None:
    try:
        return parse_timestamp(text)
    except ValueError:  # a date no calendar has (February 31st): no bound
        return None


def _closed(command: ExecuteTradeEvent, *, signed: bool) -> VenueOutcome:
    when = "before its quote could be sent" if signed else "before its quote was signed"
    note = f"the relay's auction closes at {command.payload.answer_by}, {when}: not sent"
    return VenueOutcome(TradeStatus.EXPIRED, ResultCode.QUOTE_EXPIRED, note)
