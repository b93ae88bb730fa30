"""The demo's end-of-run summary: what each stage counted, what the topics hold and what the relay saw,
every number saying what it counts, and the lines that reconcile them.

A topic's records and its distinct events differ by the records that repeat an event_id already
counted (a frame the relay sent again, a result republished after a redelivery, identical bad frames
sharing one dead-letter id): the tables show both and the repeats between them. The checks are the
loop's accounting identities, over distinct events: every quote_response the relay judged is a
result doran recorded with the same verdict, every quote the relay accepted ends filled or expired
exactly once, every command has one result, each stage's messages end one way each, and every topic
holds what the stages say they wrote to it.
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
    EXEC_QUOTE_SIGNED,
    EXEC_TRADE_RESULT,
    NORM_SWAP_DEMAND,
    RAW_NEAR_INTENTS_QUOTE,
    RAW_NEAR_INTENTS_QUOTE_STATUS,
    ResultCode,
    SettlementOutcome,
)
from doran.devkit.demo.topic_tally import TopicTally
from doran.devkit.relay_simulator import PublishedQuote, ReceivedResponse, Summary
from doran.executor import AWAITS_SETTLEMENT

__all__ = ["STAGE_RULE", "Check", "answer_latencies_ms", "reconcile", "stage_count_cells", "summary_tables"]

#: The one counting rule every stage keeps (doran.stages.metrics.StageMetrics.count).
STAGE_RULE = "consumed = published + declined + dead-lettered + skipped + kept"

# Results of commands whose quote_response left for the relay: it judged each of them.
_SENT = (
    ResultCode.QUOTE_ACCEPTED,
    ResultCode.AUCTION_CLOSED,
    ResultCode.VENUE_REJECTED,
    ResultCode.RELAY_TIMEOUT,
    ResultCode.RELAY_DISCONNECTED,
)

# What a record repeating an event_id already counted is, on each topic.
_REPEATS = {
    RAW_NEAR_INTENTS_QUOTE.name: "a quote frame the relay sent again",
    RAW_NEAR_INTENTS_QUOTE_STATUS.name: "a quote_status the relay delivered twice",
    NORM_SWAP_DEMAND.name: "the demand of a repeated quote",
    CMD_EXECUTE_TRADE.name: "the command of a repeated quote",
    EXEC_TRADE_RESULT.name: "a result republished (its command redelivered)",
    EXEC_QUOTE_SETTLEMENT.name: "a settlement republished (a duplicate quote_status)",
    DEAD_LETTER_TOPIC.name: "an identical bad message (same origin and bytes, same dead-letter id)",
}


@dataclass(frozen=True, slots=True)
class Check:
    """One accounting identity: `left` (what it names) must equal `right`."""

    name: str
    left: int
    right: int

    @property
    def holds(self) -> bool:
        return self.left == self.right


def _ended(counts: Mapping[str, Any]) -> int:
    """Messages a stage counted by how they ended: published + declined + dead-lettered + skipped + kept."""
    ended: int = (
        counts.get("published", 0)
        + sum(counts.get("declined", {}).values())
        + sum(counts.get("dead_lettered", {}).values())
        + counts.get("skipped_duplicates", 0)
        + counts.get("kept", 0)
    )
    return ended


def reconcile(
    relay: Summary, tallies: Mapping[str, TopicTally], counts: Mapping[str, Mapping[str, Any]]
) -> list[Check]:
    """The identities between the relay's journal, the topics and the stages' counts."""
    results = tallies[EXEC_TRADE_RESULT.name].breakdown
    settlements = tallies[EXEC_QUOTE_SETTLEMENT.name].breakdown
    refused = sum(relay.refused.values())
    commands = tallies[CMD_EXECUTE_TRADE.name]
    repeated_commands = commands.count - len(commands.command_ids)  # a quote_id commanded again
    republished = tallies[EXEC_TRADE_RESULT.name].copies + tallies[EXEC_QUOTE_SETTLEMENT.name].copies
    skipped = sum(c.get("skipped_duplicates", 0) for c in counts.values())
    checks = [
        Check("relay: answered = accepted + refused", relay.responses_received, relay.accepted + refused),
        Check("doran sent = relay answered", sum(results[c] for c in _SENT), relay.responses_received),
        Check("doran QUOTE_ACCEPTED = relay accepted", results[ResultCode.QUOTE_ACCEPTED], relay.accepted),
        Check(
            "awaiting settlement = signed quotes published",
            sum(results[c] for c in AWAITS_SETTLEMENT),
            len(tallies[EXEC_QUOTE_SIGNED.name].event_ids),
        ),
        Check(
            "signed quotes = filled + expired",
            len(tallies[EXEC_QUOTE_SIGNED.name].event_ids),
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
            skipped + republished,
            repeated_commands + relay.duplicates_sent,
        ),
    ]
    checks += [
        Check(f"{stage}: {STAGE_RULE}", c.get("consumed", 0), _ended(c)) for stage, c in counts.items()
    ]
    checks += [
        Check(
            f"records on {topic} = records the stages wrote to it",
            tally.count,
            sum(c.get("produced_by_topic", {}).get(topic, 0) for c in counts.values()),
        )
        for topic, tally in tallies.items()
    ]
    return checks


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
    """The summary, table by table; every count says what it counts, every total how it adds up."""
    return [
        _stages(counts, checks),
        _topics(tallies),
        _dead_letters(tallies[DEAD_LETTER_TOPIC.name], counts),
        _executor(tallies),
        _relay(relay, latencies_ms),
        _declined(counts.get("decide", {})),
        _reconciliation(checks),
    ]


def _stages(counts: Mapping[str, Mapping[str, Any]], checks: list[Check]) -> Table:
    table = _table(
        "what each stage counted (its /metrics)",
        "stage",
        "consumed",
        "published",
        "declined",
        "dead-lettered",
        "skipped",
        "kept",
        "records written",
        STAGE_RULE,
        words=(8,),
    )
    verdicts = {check.name: check for check in checks}
    for stage, c in counts.items():
        table.add_row(stage, *stage_count_cells(c), _mark(verdicts[f"{stage}: {STAGE_RULE}"]))
    protocol = sum(counts.get("ingest", {}).get("protocol_frames", {}).values())
    table.caption = (
        f"consumed: messages read (ingest: relay frames; {protocol} protocol frames, subscription acks, are "
        "no messages); published: messages answered with records; kept: held in a stage's state until their "
        "counterpart comes (a signed quote awaiting its settlement); records written: dead letters included"
    )
    return table


def _topics(tallies: Mapping[str, TopicTally]) -> Table:
    table = _table(
        "records per topic (read_committed)",
        "topic",
        "records",
        "distinct events",
        "repeats",
        "a repeat is",
        words=(4,),
    )
    for name, tally in tallies.items():
        table.add_row(
            name, str(tally.count), str(len(tally.outcomes)), str(tally.copies), _REPEATS.get(name, "")
        )
    table.caption = "records = distinct events + repeats: a repeat carries an event_id already counted"
    return table


def _dead_letters(tally: TopicTally, counts: Mapping[str, Mapping[str, Any]]) -> Table:
    table = _table(f"dead letters ({DEAD_LETTER_TOPIC.name})", "stage: reason", "records", "dead-letter ids")
    records = tally.records_by_outcome
    for reason, ids in sorted(tally.breakdown.items()):
        table.add_row(reason, str(records[reason]), str(ids))
    table.add_row("total", str(tally.count), str(len(tally.outcomes)), end_section=True)
    written = sum(sum(c.get("dead_lettered", {}).values()) for c in counts.values())
    table.caption = (
        f"{tally.count} records = {len(tally.outcomes)} dead-letter ids + {tally.copies} repeats: a dead "
        "letter's id derives from where its message was read, and a relay frame has no offset, so "
        f"identical frames share one id. The stages dead-lettered {written} messages."
    )
    return table


def _executor(tallies: Mapping[str, TopicTally]) -> Table:
    table = _table("the executor: commands in, results and settlements out", "", "count")
    commands = tallies[CMD_EXECUTE_TRADE.name]
    table.add_row(f"{CMD_EXECUTE_TRADE.name}: records", str(commands.count))
    table.add_row("  distinct command_ids", str(len(commands.command_ids)))
    repeated = commands.count - len(commands.command_ids)
    table.add_row("  repeated commands (a quote commanded again)", str(repeated), end_section=True)
    for topic, what in (
        (EXEC_TRADE_RESULT, "results (one per command_id)"),
        (EXEC_QUOTE_SETTLEMENT, "settlements (one per accepted quote)"),
    ):
        tally = tallies[topic.name]
        for outcome, n in sorted(tally.breakdown.items()):
            table.add_row(f"{topic.name}: {outcome}", str(n))
        table.add_row(f"  = distinct {what}", str(len(tally.outcomes)))
        table.add_row("  + republished copies", str(tally.copies))
        table.add_row(f"  = records on {topic.name}", str(tally.count), end_section=True)
    return table


def _relay(relay: Summary, latencies_ms: Sequence[float]) -> Table:
    table = _table("the relay simulator's verdicts on doran's quote_responses", "verdict", "count")
    table.add_row("accepted (OK)", str(relay.accepted))
    for reason, n in sorted(relay.refused.items()):
        table.add_row(f"refused: {reason}", str(n))
    table.add_row("  = quote_responses received", str(relay.responses_received), end_section=True)
    table.add_row("settlements sent (quote_status)", str(relay.settlements_sent))
    table.add_row("  of which delivered twice", str(relay.duplicates_sent))
    table.add_row("statuses for quotes no one signed", str(relay.unknown_sent))
    if latencies_ms:
        p50, p99 = _percentile(latencies_ms, 0.5), _percentile(latencies_ms, 0.99)
        table.add_row("quote event -> quote_response, p50 / p99", f"{p50:.1f} / {p99:.1f} ms")
    return table


def _declined(decide: Mapping[str, Any]) -> Table:
    table = _table("demands decide declined, by reason", "reason", "demands")
    declined = decide.get("declined", {})
    for reason, n in sorted(declined.items()):
        table.add_row(reason, str(n))
    table.add_row("  = declined by decide", str(sum(declined.values())), end_section=True)
    return table


def _reconciliation(checks: list[Check]) -> Table:
    table = _table("reconciliation", "identity", "left", "right", "", words=(3,))
    for check in checks:
        table.add_row(check.name, str(check.left), str(check.right), _mark(check))
    return table


def _mark(check: Check) -> str:
    return "[green]ok" if check.holds else "[red]MISMATCH"


def _table(title: str, *columns: str, words: tuple[int, ...] = ()) -> Table:
    """A table whose first column and the `words` columns hold text, the others counts."""
    table = Table(title=title, title_justify="left", caption_justify="left")
    for n, column in enumerate(columns):
        table.add_column(column, justify="left" if n == 0 or n in words else "right")
    return table


def stage_count_cells(counts: Mapping[str, Any]) -> tuple[str, ...]:
    """A stage's counts (its /metrics, parsed) as the cells of a stage table: consumed, published,
    declined, dead-lettered, skipped, kept, records written."""
    return (
        str(counts.get("consumed", 0)),
        str(counts.get("published", 0)),
        str(sum(counts.get("declined", {}).values())),
        str(sum(counts.get("dead_lettered", {}).values())),
        str(counts.get("skipped_duplicates", 0)),
        str(counts.get("kept", 0)),
        str(sum(counts.get("produced_by_topic", {}).values())),
    )
