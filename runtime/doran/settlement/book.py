"""The settlement stage's core: the signed quotes of one partition and the statuses that settle them.

Two inputs meet here, both keyed by quote_hash and partitioned alike: exec.quote_signed (the executor
signed a quote that may have reached the relay) and raw.near_intents.quote_status (the relay says a
quote was executed). Every quote settles exactly once, as filled or expired, under one event id:

- a quote_signed opens the quote (`pending`, until its deadline and the grace after it); if its
  status came first (`waiting`), the quote fills at once. Seen again: skipped.
- a quote_status fills its pending quote. For a quote already filled it is a duplicate (skipped);
  for one declared expired, too late (refused: dead-lettered as settled_after_expiry). For a quote
  not signed yet, it waits: the quote_signed may still be on its way.
- `due(now)`: pending quotes past their deadline and the grace expire; statuses that waited longer
  than the wait for their quote are refused as unknown_quote_hash. The clock never outruns a backlog:
  a quote expires only once the status partition has been read through its deadline and grace
  (`statuses_read`, see `doran.settlement.horizon`), a status is refused only once the quote partition
  has been read through the end of its wait (`quotes_read`).
- with reconciliation (`reconcile`), a quote past its deadline and grace is not expired but asked about
  (`asks`): the relay's final answer (`reconciled`) fills or expires it; until then it stays pending,
  "unknown, reconcile", and a quote_status that still comes fills it as usual.

Tables: `pending` and `waiting` are held in memory too (a quote's life is its deadline; few wait),
`settled` (filled or expired, a few bytes each) is read from the store. Every decision returns the
verdict and the store changes to commit with it; the in-memory view changes at once.
"""

from __future__ import annotations

import base64
import heapq
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from doran.contracts import (
    EXEC_QUOTE_SIGNED,
    RAW_NEAR_INTENTS_QUOTE_STATUS,
    DeadLetterReason,
    NearIntentsQuoteStatusRawEvent,
    QuoteSignedEvent,
    Violation,
)
from doran.relay.intent_status import IntentState, IntentStatus
from doran.settlement.events import expired_settlement, filled_settlement, reconciled_settlement
from doran.settlement.reconciliation import ReconcileSchedule
from doran.state import Change, Row
from doran.verdicts import Keep, Publish, Refuse, Skip, Verdict
from doran.wire import ContractViolation, Framing, Headers, decode, parse_timestamp, unframe, utc_timestamp

__all__ = ["PENDING", "SETTLED", "TABLES", "WAITING", "Decision", "QuoteBook", "WaitingStatus"]

PENDING, SETTLED, WAITING = "pending", "settled", "waiting"
TABLES = (PENDING, SETTLED, WAITING)
_FILLED, _EXPIRED = "filled", "expired"
_LONG_AGO = datetime.min.replace(tzinfo=UTC)

#: The settled state of a quote_hash, or None; `born_at` bounds when it could first have been written.
SettledLookup = Callable[[str, datetime | None], str | None]


@dataclass(frozen=True, slots=True)
class WaitingStatus:
    """A quote_status whose quote is not known yet, with where it was read (for its dead letter)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes
    arrived: str

    def to_json(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "partition": self.partition,
            "offset": self.offset,
            "key_b64": None if self.key is None else base64.b64encode(self.key).decode(),
            "value_b64": base64.b64encode(self.value).decode(),
            "arrived": self.arrived,
        }

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> WaitingStatus:
        key = value.get("key_b64")
        return cls(
            str(value["topic"]),
            int(value["partition"]),
            int(value["offset"]),
            None if key is None else base64.b64decode(key),
            base64.b64decode(value["value_b64"]),
            str(value["arrived"]),
        )


@dataclass(frozen=True, slots=True)
class Decision:
    """A verdict with the store changes to commit with it; `waiting` names the status a timed refusal
    dead-letters (it was consumed earlier)."""

    verdict: Verdict
    changes: tuple[Change, ...] = ()
    waiting: WaitingStatus | None = None


@dataclass(slots=True)
class QuoteBook:
    """One partition's pending quotes and waiting statuses (in memory, as in the store)."""

    settled_lookup: SettledLookup
    framing: Framing  # how records are read: any framing, the schema they name checked
    reconcile: ReconcileSchedule | None = None  # set: a quote due is asked about, never expired unasked
    pending: dict[str, dict[str, str]] = field(default_factory=dict)
    waiting: dict[str, WaitingStatus] = field(default_factory=dict)
    _deadlines: list[tuple[datetime, str]] = field(default_factory=list)
    _arrivals: list[tuple[str, str]] = field(default_factory=list)
    _settled_now: dict[str, str] = field(default_factory=dict)  # settled since the store last applied

    @classmethod
    def load(
        cls,
        settled_lookup: SettledLookup,
        framing: Framing,
        pending: Iterable[tuple[str, Row]],
        waiting: Iterable[tuple[str, Row]],
        reconcile: ReconcileSchedule | None = None,
    ) -> QuoteBook:
        """The book of a partition whose store holds these `pending` and `waiting` rows."""
        book = cls(settled_lookup, framing, reconcile)
        for quote_hash, row in pending:
            book._open(quote_hash, dict(row.value))
        for quote_hash, row in waiting:
            book._wait(quote_hash, WaitingStatus.from_json(row.value))
        return book

    def applied(self) -> None:
        """The decisions so far are in the store: settled quotes are read from it again."""
        self._settled_now.clear()

    # --- inputs -----------------------------------------------------------------------------------

    def receive(
        self,
        topic: str,
        partition: int,
        offset: int,
        key: bytes | None,
        value: bytes,
        now: datetime,
        headers: Headers | None = None,
    ) -> Decision:
        """Decide one consumed record of either input: a signed quote, or a quote_status."""
        try:
            if topic == EXEC_QUOTE_SIGNED.name:
                return self.quote_signed(self.framing.decode(EXEC_QUOTE_SIGNED, value, headers), now)
            status = self.framing.decode(RAW_NEAR_INTENTS_QUOTE_STATUS, value, headers)
        except ContractViolation as exc:
            return Decision(Refuse(exc.reason, tuple(exc.violations)))
        return self.status(status, WaitingStatus(topic, partition, offset, key, value, _at(now)), now)

    def quote_signed(self, event: QuoteSignedEvent, now: datetime) -> Decision:
        quote_hash = event.payload.quote_hash
        if quote_hash in self.pending or self._settled(quote_hash, _instant(event.observed_at)) is not None:
            return Decision(Skip("quote already known"))
        quote = {
            "command_id": event.payload.command_id,
            "idempotency_key": event.payload.idempotency_key,
            "execution_key": event.payload.execution_key,
            "quote_id": event.payload.quote_id,
            "quote_deadline": event.payload.quote_deadline,
        }
        status = self.waiting.pop(quote_hash, None)
        if status is None:
            self._open(quote_hash, quote)
            return Decision(Keep("awaiting its status"), (Change(PENDING, quote_hash, Row(_at(now), quote)),))
        filled = filled_settlement(quote_hash, quote, _status_event(status), now=now)
        return Decision(
            Publish((filled,)),
            (Change(WAITING, quote_hash, None), self._settle(quote_hash, _FILLED, now)),
        )

    def status(self, event: NearIntentsQuoteStatusRawEvent, origin: WaitingStatus, now: datetime) -> Decision:
        """`origin` is the status as consumed (its `arrived` is `now`)."""
        quote_hash = event.payload.message.quote_hash
        quote = self.pending.pop(quote_hash, None)
        if quote is not None:
            if self.reconcile is not None:
                self.reconcile.forget(quote_hash)
            filled = filled_settlement(quote_hash, quote, event, now=now)
            return Decision(
                Publish((filled,)),
                (Change(PENDING, quote_hash, None), self._settle(quote_hash, _FILLED, now)),
            )
        if quote_hash in self.waiting:
            return Decision(Skip("a status for this quote already waits"))
        settled = self._settled(quote_hash, None)
        if settled == _FILLED:
            return Decision(Skip("quote already filled"))
        if settled == _EXPIRED:
            text = (
                f"quote_hash {quote_hash} names a quote already declared expired (its settlement came "
                "too late: raise DORAN_SETTLEMENT_GRACE_MS)"
            )
            return Decision(Refuse(DeadLetterReason.SETTLED_AFTER_EXPIRY, (_pointer(text),)))
        self._wait(quote_hash, origin)
        return Decision(
            Keep("awaiting its quote"), (Change(WAITING, quote_hash, Row(_at(now), origin.to_json())),)
        )

    # --- the clock ----------------------------------------------------------------------------

    def due(
        self,
        now: datetime,
        *,
        grace: timedelta,
        wait: timedelta,
        statuses_read: datetime | None = None,
        quotes_read: datetime | None = None,
    ) -> list[Decision]:
        """Expire pending quotes whose deadline and grace passed (or, reconciling, ask about them); refuse
        statuses that waited too long. `statuses_read`, `quotes_read`: each input partition has been read
        through that instant (None: through `now`)."""
        decisions = []
        expire_by = now if statuses_read is None else min(now, statuses_read)
        while self._deadlines and self._deadlines[0][0] + grace <= expire_by:
            _, quote_hash = heapq.heappop(self._deadlines)
            if quote_hash not in self.pending:
                continue  # filled meanwhile
            if self.reconcile is not None:
                self.reconcile.add(quote_hash, now)
                continue
            quote = self.pending.pop(quote_hash)
            expired = expired_settlement(quote_hash, quote, grace=grace, now=now)
            changes = (Change(PENDING, quote_hash, None), self._settle(quote_hash, _EXPIRED, now))
            decisions.append(Decision(Publish((expired,)), changes))
        refuse_by = now if quotes_read is None else min(now, quotes_read)
        if refuse_by - _LONG_AGO <= wait:
            return decisions  # the quote partition is not read through any wait yet
        limit = utc_timestamp(refuse_by - wait)
        while self._arrivals and self._arrivals[0][0] <= limit:
            _, quote_hash = heapq.heappop(self._arrivals)
            status = self.waiting.pop(quote_hash, None)
            if status is None:
                continue  # its quote came
            text = (
                f"quote_hash {quote_hash} names no quote this solver signed (none came within "
                f"{wait.total_seconds():g} s of the status: DORAN_SETTLEMENT_UNMATCHED_WAIT_MS)"
            )
            refusal = Refuse(DeadLetterReason.UNKNOWN_QUOTE_HASH, (_pointer(text),))
            decisions.append(Decision(refusal, (Change(WAITING, quote_hash, None),), status))
        return decisions

    def next_expiry(self, grace: timedelta) -> datetime | None:
        """When the earliest pending quote not yet asked about reaches its deadline and grace."""
        while self._deadlines and self._deadlines[0][1] not in self.pending:
            heapq.heappop(self._deadlines)
        return self._deadlines[0][0] + grace if self._deadlines else None

    def next_refusal(self, wait: timedelta) -> datetime | None:
        """When the earliest waiting status has waited `wait`."""
        while self._arrivals and self._arrivals[0][1] not in self.waiting:
            heapq.heappop(self._arrivals)
        return (_instant(self._arrivals[0][0]) or _LONG_AGO) + wait if self._arrivals else None

    # --- reconciliation ---------------------------------------------------------------------------

    def asks(self, now: datetime, limit: int) -> list[str]:
        """The quote hashes to ask the relay about now (none without reconciliation)."""
        return [] if self.reconcile is None else self.reconcile.to_ask(now, limit)

    def reconciled(self, answer: IntentStatus, now: datetime) -> Decision | None:
        """The relay's answer about a quote asked about: SETTLED fills it, NOT_FOUND_OR_NOT_VALID expires
        it; PENDING and TX_BROADCASTED ask again later. None when nothing is decided now."""
        quote_hash = answer.intent_hash
        if self.reconcile is None or quote_hash not in self.reconcile or quote_hash not in self.pending:
            return None  # settled meanwhile by its quote_status, or not asked here
        final = answer.state in (IntentState.SETTLED, IntentState.NOT_FOUND_OR_NOT_VALID)
        self.reconcile.answered(quote_hash, now, final=final)
        if not final:
            return None
        quote = self.pending.pop(quote_hash)
        outcome = _FILLED if answer.state is IntentState.SETTLED else _EXPIRED
        event = reconciled_settlement(quote_hash, quote, answer, now=now)
        return Decision(
            Publish((event,)), (Change(PENDING, quote_hash, None), self._settle(quote_hash, outcome, now))
        )

    def unreachable(self, quote_hash: str, now: datetime) -> None:
        """The relay could not be asked about `quote_hash`: it stays pending, unknown, asked again later."""
        if self.reconcile is not None:
            self.reconcile.unreachable(quote_hash, now)

    @property
    def unknown(self) -> int:
        """Pending quotes the relay could not be asked about yet: "unknown, reconcile"."""
        return 0 if self.reconcile is None else self.reconcile.unknown

    # --- the view -------------------------------------------------------------------------------

    def _open(self, quote_hash: str, quote: dict[str, str]) -> None:
        self.pending[quote_hash] = quote
        # A deadline no calendar has (only a hostile record holds one) is due at once.
        deadline = _instant(quote["quote_deadline"]) or _LONG_AGO
        heapq.heappush(self._deadlines, (deadline, quote_hash))

    def _wait(self, quote_hash: str, status: WaitingStatus) -> None:
        self.waiting[quote_hash] = status
        heapq.heappush(self._arrivals, (status.arrived, quote_hash))

    def _settle(self, quote_hash: str, outcome: str, now: datetime) -> Change:
        self._settled_now[quote_hash] = outcome
        return Change(SETTLED, quote_hash, Row(_at(now), outcome))

    def _settled(self, quote_hash: str, born_at: datetime | None) -> str | None:
        if quote_hash in self._settled_now:
            return self._settled_now[quote_hash]
        return self.settled_lookup(quote_hash, born_at)


def _status_event(status: WaitingStatus) -> NearIntentsQuoteStatusRawEvent:
    # Decoded once already, its schema checked: it holds (its bytes kept as received, framing and all).
    return decode(RAW_NEAR_INTENTS_QUOTE_STATUS, unframe(status.topic, status.value).data)


def _pointer(text: str) -> Violation:
    return Violation(pointer="/payload/message/quote_hash", message=text)


def _instant(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        return parse_timestamp(text)
    except ValueError:
        return None


def _at(now: datetime) -> str:
    return utc_timestamp(now)
