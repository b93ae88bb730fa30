"""The executor's durable batch step: begin (one commit), execute, complete (one commit), then publish.

Order per poll batch, which is what makes execution at-most-once and results exactly-once:
1. read the committed records of the batch's command_ids;
2. `store.begin(new commands)`: all new command_ids committed `processing`, one fsync;
3. `execute_command` per command (adapter calls for new ones, lookups for recovered ones);
   then `adapter.flush()`: the venue's record of those executions is durable;
4. `store.complete(results)`: all committed `done` with their results, one fsync;
5. the caller publishes the returned results, only after `run_batch` returned.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from doran.contracts import ExecuteTradeEvent, TradeResultEvent
from doran.executor.adapter import VenueAdapter
from doran.executor.execute import ExecutionOutcome, OutcomeKind, execute_command
from doran.executor.store import CommandRecord, ExecutorStore

__all__ = ["count_outcomes", "run_batch"]


def run_batch(
    commands: Sequence[ExecuteTradeEvent], store: ExecutorStore, adapter: VenueAdapter, *, now: datetime
) -> list[ExecutionOutcome]:
    """Run a batch of commands exactly once each; outcomes in input order, their results durable on return.

    A command_id repeated inside the batch is a duplicate of its first occurrence. If the adapter
    raises, the results obtained so far are completed durably and the commands not yet reached are
    forgotten (they will count as new) before the exception propagates; the command that raised
    stays `processing` and takes the recovered path when it is delivered again.
    """
    view: dict[str, CommandRecord] = store.snapshot(command.payload.command_id for command in commands)
    new: dict[str, ExecuteTradeEvent] = {}
    for command in commands:
        command_id = command.payload.command_id
        if command_id not in view:
            new.setdefault(command_id, command)
    store.begin(list(new.values()), now=now)

    outcomes: list[ExecutionOutcome] = []
    results: list[TradeResultEvent] = []
    # command_id -> (event_id, result) of its first occurrence in this batch.
    finished: dict[str, tuple[str, TradeResultEvent]] = {}
    reached: set[str] = set()
    try:
        for command in commands:
            command_id = command.payload.command_id
            if command_id in finished:
                first_event_id, first_result = finished[command_id]
                outcomes.append(
                    ExecutionOutcome(
                        command_id,
                        OutcomeKind.DUPLICATE,
                        None,
                        stored_result=first_result,
                        redelivery=first_event_id == command.event_id,
                    )
                )
                continue
            reached.add(command_id)
            outcome = execute_command(command, view, adapter, now=now)
            outcomes.append(outcome)
            if outcome.result is not None:
                results.append(outcome.result)
                finished[command_id] = (command.event_id, outcome.result)
    except BaseException:
        adapter.flush()
        store.complete(results, now=now)
        store.forget(command_id for command_id in new if command_id not in reached)
        raise
    adapter.flush()
    store.complete(results, now=now)
    return outcomes


def count_outcomes(outcomes: Sequence[ExecutionOutcome]) -> dict[OutcomeKind, int]:
    """How many commands took each path (for the stage's counters)."""
    counts = dict.fromkeys(OutcomeKind, 0)
    for outcome in outcomes:
        counts[outcome.kind] += 1
    return counts
