"""What the executor keeps of each command_id, in its partition's working store (table `commands`).

- `processing`: its quote was signed and may be at the venue; kept with the command event that was
  begun and the quote's hash and deadline, all a recovery needs (the command itself comes again:
  its offset is committed only with its result).
- `done`: it has its one result; kept (a few bytes) as long as the command can come again
  (`REDELIVERING_TOPICS`, DORAN_HISTORY_DAYS).

Besides the commands, the row `INCARNATION_KEY` (never a command_id: those start with `cmd-`) keeps the
incarnation of a partition whose history was overridden as missing (`doran.executor.answered_again`),
for as long as a command answered before the override can come again.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from doran.contracts import CMD_EXECUTE_TRADE, NORM_SWAP_DEMAND, RAW_NEAR_INTENTS_QUOTE
from doran.executor.errors import ExecutorStateError
from doran.executor.venue import Ticket

__all__ = ["DONE", "INCARNATION_KEY", "REDELIVERING_TOPICS", "TABLE", "CommandRecord", "CommandState"]

TABLE = "commands"
INCARNATION_KEY = "~incarnation"
#: Topics whose records can bring a command back, rewound or re-derived: the history outlives them.
REDELIVERING_TOPICS = (RAW_NEAR_INTENTS_QUOTE, NORM_SWAP_DEMAND, CMD_EXECUTE_TRADE)


class CommandState(StrEnum):
    """Where a command is: possibly at the venue (`processing`), or finished with a result (`done`)."""

    PROCESSING = "processing"
    DONE = "done"


@dataclass(frozen=True, slots=True)
class CommandRecord:
    """One command's record; `event_id`, `quote_hash`, `quote_deadline` only while processing."""

    state: CommandState
    event_id: str | None = None
    quote_hash: str | None = None
    quote_deadline: str | None = None

    @classmethod
    def processing(cls, event_id: str, ticket: Ticket) -> CommandRecord:
        return cls(CommandState.PROCESSING, event_id, ticket.quote_hash, ticket.quote_deadline)

    @property
    def ticket(self) -> Ticket:
        """The ticket the begun command was prepared with (its request is not kept)."""
        return Ticket(self.quote_hash, self.quote_deadline)

    def to_json(self) -> dict[str, Any]:
        if self.state is CommandState.DONE:
            return {"state": "done"}
        return {
            "state": "processing",
            "event_id": self.event_id,
            "quote_hash": self.quote_hash,
            "quote_deadline": self.quote_deadline,
        }

    @classmethod
    def from_json(cls, value: Any) -> CommandRecord:
        """Parse a stored record; ExecutorStateError on anything else."""
        try:
            state = CommandState(value["state"])
            if state is CommandState.DONE:
                return DONE
            return cls(state, str(value["event_id"]), value.get("quote_hash"), value.get("quote_deadline"))
        except (KeyError, TypeError, ValueError) as exc:
            raise ExecutorStateError(
                f"The executor's state holds a record it did not write: {value!r:.200}"
            ) from exc


DONE = CommandRecord(CommandState.DONE)
