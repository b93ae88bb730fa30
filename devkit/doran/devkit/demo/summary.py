"""The demo's end-of-run summary: what the relay saw against what doran's topics hold, and whether they agree.

The checks are the loop's accounting identities, over distinct events (a record published again
under the same event_id is one event): every quote_response the relay judged is a result doran
recorded with the same verdict, every quote the relay accepted ends filled or expired exactly
once, every command has one result, and every duplicate was skipped or republished identically.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rich.table import Table

from doran.contracts import (
    CMD_EXECUTE_TRADE,
    DEAD_LETTER_TOPIC,
    EXEC_QUOTE_SETTLEMENT,
    EXEC_TRADE_RESULT,
    ResultCode,
    SettlementOutcome,
)
from doran.devkit.demo.topic_tally import TopicTally
from doran.devkit.relay_simulator import PublishedQuote, ReceivedResponse, Summary
from doran.executor import AWAITS_SETTLEMENT

__all__ = ["Check", "answer_latencies_ms", "reconcile", "summary_tables"]

# Results of commands whose quote_response left for the relay: it judged each of them.
_SENT = (
    ResultCode.QUOTE_ACCEPTED,
    ResultCode.AUCTION_CLOSED,
    ResultCode.VENUE_REJECTED,
    ResultCode.RELAY_TIMEOUT,
    ResultCode.RELAY_DISCONNECTED,
)


@dataclass(frozen=True, slots=True)
class Check:
    """One accounting identity: `left` (what it names) must equal `right`."""

    name: str
    left: int
    right: int

    @property
    def holds(self) -> bool:
        return self.left == self.right


def reconcile(relay: Summary, tallies: Mapping[str, TopicTally], executor: Mapping[str, Any]) -> list[Check]:
    """The identities between the relay's journal, the topics and the executor's counts."""
    results = tallies[EXEC_TRADE_RESULT.name].breakdown
    settlements = tallies[EXEC_QUOTE_SETTLEMENT.name].breakdown
    refused = sum(relay.refused.values())
    commands = tallies[CMD_EXECUTE_TRADE.name]
    repeated_commands = commands.count - len(commands.command_ids)  # a quote_id commanded again
    republished = tallies[EXEC_TRADE_RESULT.name].copies + tallies[EXEC_QUOTE_SETTLEMENT.name].copies
    return [
        Check("relay: answered = accepted + refused", relay.responses_received, relay.accepted + refused),
        Check("doran sent = relay answered", sum(results[c] for c in _SENT), relay.responses_received),
        Check("doran QUOTE_ACCEPTED = relay accepted", results[ResultCode.QUOTE_ACCEPTED], relay.accepted),
        Check(
            "accepted = filled + expired",
            sum(results[c] for c in AWAITS_SETTLEMENT),
            settlements[SettlementOutcome.FILLED] + settlements[SettlementOutcome.EXPIRED],
        ),
        Check("filled = relay settlements", settlements[SettlementOutcome.FILLED], relay.settlements_sent),
        Check(
            "one result per command_id",
            len(tallies[EXEC_TRADE_RESULT.name].event_ids),
            len(tallies[EXEC_TRADE_RESULT.name].command_ids | commands.command_ids),
        ),
        Check(
            "skipped + republished = repeated commands + duplicate quote_status",
            executor.get("skipped_duplicates", 0) + republished,
            repeated_commands + relay.duplicates_sent,
        ),
    ]


def answer_latencies_ms(
    events: Sequence[PublishedQuote], responses: Sequence[ReceivedResponse]
) -> list[float]:
    """Per answered quote: from the relay sending its quote event to it receiving doran's response."""
    sent = {event.quote_id: event.sent.monotonic for event in events if event.quote_id is not None}
    return sorted(
        (response.received.monotonic - sent[response.quote_id]) * 1000
        for response in responses
        if response.quote_id in sent
    )


def _percentile(ordered: Sequence[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def summary_tables(
    relay: Summary,
    tallies: Mapping[str, TopicTally],
    counts: Mapping[str, Mapping[str, Any]],
    checks: list[Check],
    latencies_ms: Sequence[float] = (),
) -> list[Table]:
    topics = _table("records per topic (read_committed)", "topic", "records")
    for name, tally in tallies.items():
        topics.add_row(name, str(tally.count))
    verdicts = _table("the relay simulator's verdicts on doran's quote_responses", "verdict", "count")
    verdicts.add_row("accepted (OK)", str(relay.accepted))
    for reason, n in sorted(relay.refused.items()):
        verdicts.add_row(f"refused: {reason}", str(n))
    verdicts.add_row("settlements sent (quote_status)", str(relay.settlements_sent))
    verdicts.add_row("  of which delivered twice", str(relay.duplicates_sent))
    verdicts.add_row("statuses for quotes no one signed", str(relay.unknown_sent))
    if latencies_ms:
        p50, p99 = _percentile(latencies_ms, 0.5), _percentile(latencies_ms, 0.99)
        verdicts.add_row("quote event -> quote_response, p50 / p99", f"{p50:.1f} / {p99:.1f} ms")
    results = _table("trade results and settlements", "outcome", "count")
    for code, n in sorted(tallies[EXEC_TRADE_RESULT.name].breakdown.items()):
        results.add_row(f"{EXEC_TRADE_RESULT.name}: {code}", str(n))
    for outcome, n in sorted(tallies[EXEC_QUOTE_SETTLEMENT.name].breakdown.items()):
        results.add_row(f"{EXEC_QUOTE_SETTLEMENT.name}: {outcome}", str(n))
    declined = _table("declined demands (decide)", "reason", "count")
    for reason, n in sorted(counts.get("decide", {}).get("declined", {}).items()):
        declined.add_row(reason, str(n))
    dead = _table("dead letters", "stage: reason", "count")
    for reason, n in sorted(tallies[DEAD_LETTER_TOPIC.name].breakdown.items()):
        dead.add_row(reason, str(n))
    reconciled = Table(title="reconciliation")
    for column in ("identity", "left", "right", ""):
        reconciled.add_column(column, justify="left" if column == "identity" else "right")
    for check in checks:
        mark = "[green]ok" if check.holds else "[red]MISMATCH"
        reconciled.add_row(check.name, str(check.left), str(check.right), mark)
    return [topics, verdicts, results, declined, dead, reconciled]


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title)
    for n, column in enumerate(columns):
        table.add_column(column, justify="right" if n else "left")
    return table
