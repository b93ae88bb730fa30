"""`doran executor rebuild-state`: a lost state directory rebuilt from exec.trade_result and
exec.quote_settlement (read_committed), with a report of what could not be rebuilt.

The third way out when the history is gone, beside restoring the directory and starting with an
empty history: afterwards the executor starts as RESUMED, and a command whose result is on the bus
is a duplicate again, not new.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from doran.broker import LogRecord, TopicReader
from doran.contracts import (
    CMD_EXECUTE_TRADE,
    EXEC_QUOTE_SETTLEMENT,
    EXEC_TRADE_RESULT,
    TOPICS,
    Envelope,
    ExecuteTradeEvent,
    QuoteSettlementEvent,
    TradeResultEvent,
)
from doran.executor.errors import ExecutorError
from doran.executor.offsets import committed_offsets, executor_group
from doran.executor.rebuild import rebuild_history
from doran.executor.records import QuoteState
from doran.executor.store import ExecutorStore
from doran.wire import ContractViolation, decode

__all__ = ["RebuildRefused", "RebuildReport", "rebuild_state"]

_EXAMPLES = 10
E = TypeVar("E", bound=Envelope)


class RebuildRefused(ExecutorError):
    """The state directory already holds a history: a rebuild never overwrites one."""


@dataclass
class RebuildReport:
    """What was rebuilt and what could not be."""

    state_file: Path
    commands: int = 0
    quotes: Counter[str] = field(default_factory=Counter)  # by state
    repeated_results: int = 0
    stray_settlements: int = 0
    unreadable: Counter[str] = field(default_factory=Counter)  # records of each topic not decodable
    oldest_result: str | None = None
    # Commands below the group's committed offsets without a result: consumed, but their result aged
    # out of exec.trade_result (or was never committed). Not in the rebuilt history.
    without_result: list[str] = field(default_factory=list)
    # Commands at or after the committed offsets: not consumed yet; the executor runs them next.
    not_consumed: int = 0

    def lines(self) -> list[str]:
        """The report as printed."""
        since = f" (results since {self.oldest_result})" if self.oldest_result else ""
        quotes = ", ".join(f"{n} {state}" for state, n in sorted(self.quotes.items())) or "none"
        lines = [
            f"rebuilt {self.state_file}: {self.commands} commands done{since}; quotes: {quotes}",
            f"{self.repeated_results} results published more than once (one record each); "
            f"{self.stray_settlements} settlements of quotes no result names (skipped)",
            f"{self.not_consumed} commands not consumed yet: the executor runs them next",
        ]
        if self.unreadable:
            lines.append(f"records not readable as their contract (skipped): {dict(self.unreadable)}")
        if self.without_result:
            shown = ", ".join(self.without_result[:_EXAMPLES])
            more = (
                f" and {len(self.without_result) - _EXAMPLES} more"
                if len(self.without_result) > _EXAMPLES
                else ""
            )
            lines.append(
                f"NOT REBUILT: {len(self.without_result)} consumed commands have no result on "
                f"{EXEC_TRADE_RESULT.name} (older than its retention, or in flight when the state was lost): "
                f"{shown}{more}. They are not redelivered unless the group's offsets are reset; if they "
                "are, they run as new."
            )
        return lines


def rebuild_state(
    state_dir: Path, broker: str, consumer_group_prefix: str, *, timeout_s: float
) -> RebuildReport:
    """Rebuild the history into `state_dir` (missing or empty) from the broker's topics."""
    store = ExecutorStore.open(state_dir)
    try:
        if not store.is_empty() or store.pending():
            raise RebuildRefused(
                f"{store.path} already holds a history ({len(store)} commands): rebuild-state never "
                "overwrites one. Move it aside first if it is truly the one to replace."
            )
        report = RebuildReport(store.path)
        with TopicReader(
            broker, timeout_s=timeout_s, group_id=executor_group(consumer_group_prefix) + ".rebuild"
        ) as reader:
            results = _decoded(reader.read_all([EXEC_TRADE_RESULT.name]), TradeResultEvent, report)
            settlements = _decoded(
                reader.read_all([EXEC_QUOTE_SETTLEMENT.name]), QuoteSettlementEvent, report
            )
            history = rebuild_history(results, settlements)
            committed = committed_offsets(broker, executor_group(consumer_group_prefix), timeout_s=timeout_s)
            missing: set[str] = set()
            for record in reader.read_all([CMD_EXECUTE_TRADE.name]):
                if record.offset >= committed.get(record.partition, 0):
                    report.not_consumed += 1
                    continue
                command = _decode_one(record, ExecuteTradeEvent, report)
                command_id = None if command is None else command.payload.command_id
                if (
                    command_id is not None
                    and command_id not in history.commands
                    and command_id not in missing
                ):
                    missing.add(command_id)
                    report.without_result.append(command_id)
        store.restore(list(history.commands.values()), list(history.quotes.values()))
    finally:
        store.close()
    report.commands = len(history.commands)
    report.quotes = Counter(quote.state.value for quote in history.quotes.values())
    report.repeated_results = history.repeated_results
    report.stray_settlements = history.stray_settlements
    report.oldest_result = history.oldest_result
    for state in QuoteState:
        report.quotes.setdefault(state.value, 0)
    return report


def _decoded(records: Iterable[LogRecord], kind: type[E], report: RebuildReport) -> list[E]:
    return [event for record in records if (event := _decode_one(record, kind, report)) is not None]


def _decode_one(record: LogRecord, kind: type[E], report: RebuildReport) -> E | None:
    """The record's event, or None (counted) when it does not hold its topic's contract."""
    try:
        event = decode(TOPICS[record.topic], record.unframed().data)
    except ContractViolation:
        report.unreadable[record.topic] += 1
        return None
    return event if isinstance(event, kind) else None
