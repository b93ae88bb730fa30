"""doran's executor core: sends each trade command at most once and ends it with exactly one result.

- `CommandFlow(venue, lookup, answer_margin=...)`  admit -> send -> conclude a poll batch: one
  verdict per consumed record (`doran.verdicts`), the `processing` records to commit before sending,
  the `done` records to commit with the results
- `CommandRecord`, `CommandState`, `TABLE`  what the executor keeps per command_id
- `Venue`, `Ticket`, `Prepared`, `Sending`, `VenueOutcome`  the venue boundary (adapters: `doran.venues`)
- `trade_result_event`, `quote_signed_event`  what it publishes for a command; `answered_again` the id
  they derive from on a partition whose history was overridden as missing
- `REDELIVERING_TOPICS`  the topics that can bring a command back: the history outlives them
No Kafka and no disk here: the execute stage (`doran.stages.execute`) wires these.
"""

from doran.executor.command_flow import Batch, CommandFlow, Handling, Incarnation, Lookup
from doran.executor.command_record import (
    DONE,
    INCARNATION_KEY,
    REDELIVERING_TOPICS,
    TABLE,
    CommandRecord,
    CommandState,
)
from doran.executor.errors import ExecutorError, ExecutorStateError, IdempotencyHistoryLost
from doran.executor.events import SOURCE, answered_again, quote_signed_event, trade_result_event
from doran.executor.venue import AWAITS_SETTLEMENT, Prepared, Sending, Sent, Ticket, Venue, VenueOutcome

__all__ = [
    "AWAITS_SETTLEMENT",
    "DONE",
    "INCARNATION_KEY",
    "REDELIVERING_TOPICS",
    "SOURCE",
    "TABLE",
    "Batch",
    "CommandFlow",
    "CommandRecord",
    "CommandState",
    "ExecutorError",
    "ExecutorStateError",
    "Handling",
    "IdempotencyHistoryLost",
    "Incarnation",
    "Lookup",
    "Prepared",
    "Sending",
    "Sent",
    "Ticket",
    "Venue",
    "VenueOutcome",
    "answered_again",
    "quote_signed_event",
    "trade_result_event",
]
