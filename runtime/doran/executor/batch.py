"""The executor's durable batch step: begin (one commit), send, settle, commit (one commit), then publish.

Order per poll batch, which is what makes sending at-most-once and results exactly-once:
1. read the committed records of the batch's command_ids;
2. `venue.prepare` each new command (sign its quote), `store.begin`: all committed `processing`
   with their tickets, one fsync, before anything leaves the process;
3. `venue.submit` the new ones (concurrently), `venue.recover` those found `processing`; quote_status
   events settle their quotes; quotes whose deadline passed unused expire;
4. `store.commit`: results, new pending quotes and settled quotes, one fsync;
5. the caller publishes what `run_batch` returned, only after it returned.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from doran.contracts import ExecuteTradeEvent, NearIntentsQuoteStatusRawEvent, QuoteSettlementEvent
from doran.executor.execute import (
    ExecutionOutcome,
    OutcomeKind,
    pending_quote,
    result_event_id,
    trade_result_event,
)
from doran.executor.records import CommandState, QuoteRecord
from doran.executor.settle import SettlementKind, StatusOutcome, expire_due, settle
from doran.executor.store import ExecutorStore
from doran.executor.venue import Prepared, Ticket, Venue

__all__ = ["BatchOutcome", "run_batch"]


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    """Every command's path, every quote_status's effect, and the quotes that expired, in input order."""

    commands: tuple[ExecutionOutcome, ...]
    settlements: tuple[StatusOutcome, ...]
    expired: tuple[tuple[QuoteRecord, QuoteSettlementEvent], ...]


def run_batch(
    commands: Sequence[ExecuteTradeEvent],
    store: ExecutorStore,
    venue: Venue,
    *,
    now: datetime,
    statuses: Sequence[NearIntentsQuoteStatusRawEvent] = (),
    grace: timedelta | None = None,
) -> BatchOutcome:
    """Run a batch: each command sent at most once, each quote settled once, all durable on return.

    A command_id repeated inside the batch is a duplicate of its first occurrence. `grace` None
    expires nothing (a batch of commands only); the loop passes its settlement grace.
    """
    view = store.snapshot(command.payload.command_id for command in commands)
    new: dict[str, tuple[ExecuteTradeEvent, Ticket]] = {}
    for command in commands:
        command_id = command.payload.command_id
        if command_id not in view and command_id not in new:
            new[command_id] = (command, venue.prepare(command.payload, now))
    store.begin(list(new.values()), now=now)
    answers = dict(
        zip(new, venue.submit([Prepared(c.payload, t) for c, t in new.values()], now), strict=True)
    )

    outcomes: list[ExecutionOutcome] = []
    finished: dict[str, ExecutionOutcome] = {}
    for command in commands:
        command_id = command.payload.command_id
        first = finished.get(command_id)
        if first is not None:  # its first occurrence in this batch publishes (or skips) for both
            stored = first.result or first.stored_result
            outcomes.append(ExecutionOutcome(command_id, OutcomeKind.DUPLICATE, None, stored_result=stored))
            continue
        record = view.get(command_id)
        if record is None:
            begun, ticket = new[command_id]
            answer, kind = answers[command_id], OutcomeKind.NEW
        elif record.state is CommandState.PROCESSING:
            # The result derives from the command that was begun: the id the interrupted run would have used.
            begun, ticket = record.command_event(), record.ticket_of()
            answer, kind = venue.recover(begun.payload, ticket), OutcomeKind.RECOVERED
        else:
            stored = record.result_event()
            outcome = ExecutionOutcome(
                command_id,
                OutcomeKind.DUPLICATE,
                None,
                stored_result=stored,
                redelivery=stored is not None and stored.event_id == result_event_id(command),
            )
            outcomes.append(outcome)
            finished[command_id] = outcome
            continue
        result = trade_result_event(begun, answer, ticket, now=now)
        outcome = ExecutionOutcome(command_id, kind, result, pending_quote(begun, answer, ticket))
        outcomes.append(outcome)
        finished[command_id] = outcome
    venue.flush()

    pending = [o.quote for o in outcomes if o.quote is not None]
    settled = _settle(statuses, store, pending, now)
    changed = {quote.quote_hash: quote for quote in pending}
    changed |= {s.quote.quote_hash: s.quote for s in settled if s.quote is not None and _changes(s)}
    expired = []
    if grace is not None:
        # A quote settled in this batch is no longer due; store.pending() is soonest deadline first.
        remaining = [quote for quote in store.pending() if quote.quote_hash not in changed]
        expired = expire_due(remaining, now=now, grace=grace)
    changed |= {quote.quote_hash: quote for quote, _ in expired}
    results = [o.result for o in outcomes if o.result is not None]
    store.commit(done=results, quotes=list(changed.values()), now=now)
    return BatchOutcome(tuple(outcomes), tuple(settled), tuple(expired))


def _changes(outcome: StatusOutcome) -> bool:
    return outcome.kind is SettlementKind.FILLED and outcome.quote is not None


def _settle(
    statuses: Sequence[NearIntentsQuoteStatusRawEvent],
    store: ExecutorStore,
    pending: Sequence[QuoteRecord],
    now: datetime,
) -> list[StatusOutcome]:
    """Settle each status against the quotes as they stand, this batch's new and settled ones included."""
    batch: dict[str, QuoteRecord] = {quote.quote_hash: quote for quote in pending}

    class _View:
        def quote(self, quote_hash: str, /) -> QuoteRecord | None:
            return batch.get(quote_hash) or store.quote(quote_hash)

    settled = []
    for status in statuses:
        outcome = settle(status, _View(), now=now)
        if _changes(outcome) and outcome.quote is not None:
            batch[outcome.quote.quote_hash] = outcome.quote
        settled.append(outcome)
    return settled
