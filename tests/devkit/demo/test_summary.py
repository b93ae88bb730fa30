"""The demo's summary read in a file: tables whole and apart, every count saying what it counts, and the
lines that reconcile records with distinct events (repeats), stage by stage and topic by topic."""

from __future__ import annotations

import io
import json
from typing import Any

from doran.contracts import TOPICS
from doran.devkit.demo.screen import demo_console, print_tables, progress
from doran.devkit.demo.summary import STAGE_RULE, reconcile, summary_tables
from doran.devkit.demo.topic_tally import TopicTally
from doran.devkit.relay_simulator import Summary

RELAY = Summary(
    quotes_published=4, raw_frames_sent=5, responses_received=3, accepted=2, refused={"auction closed": 1},
    settlements_sent=1, duplicates_sent=1, unknown_sent=0,
)  # fmt: skip


def _record(event_id: str, payload: dict[str, Any]) -> bytes:
    return json.dumps({"event_id": event_id, "payload": payload}).encode()


def _tallies() -> dict[str, TopicTally]:
    tallies = {name: TopicTally() for name in TOPICS}

    def add(topic: str, *records: bytes) -> None:
        for record in records:
            tallies[topic].add(topic, record)

    ping = _record("dlq-ping", {"stage": "ingest", "reason": "not_json"})
    add(
        "dlq.doran",
        ping,
        ping,
        ping,
        _record("dlq-other", {"stage": "ingest", "reason": "invalid_venue_message"}),
    )
    add("raw.near_intents.quote", *(_record(f"nearq-{n}", {}) for n in (1, 2, 3, 3)))
    add("norm.swap_demand", *(_record(f"sd-{n}", {}) for n in (1, 2, 3, 3)))
    add("cmd.execute_trade", *(_record(f"ct-{n}", {"command_id": f"cmd-{n}"}) for n in (1, 2, 3, 3)))
    accepted = [
        _record(f"tr-{n}", {"command_id": f"cmd-{n}", "result_code": "QUOTE_ACCEPTED"}) for n in (1, 2)
    ]
    closed = _record("tr-3", {"command_id": "cmd-3", "result_code": "AUCTION_CLOSED"})
    add("exec.trade_result", *accepted, closed)
    add("exec.quote_signed", *(_record(f"qsig-{n}", {}) for n in (1, 2)))
    add("raw.near_intents.quote_status", _record("nears-1", {}), _record("nears-1", {}))
    add(
        "exec.quote_settlement",
        _record("qs-1", {"outcome": "filled"}),
        _record("qs-2", {"outcome": "expired"}),
    )
    return tallies


def _counts(tallies: dict[str, TopicTally]) -> dict[str, dict[str, Any]]:
    def written(*topics: str) -> dict[str, int]:
        return {topic: tallies[topic].count for topic in topics}

    raw = ("raw.near_intents.quote", "raw.near_intents.quote_status", "dlq.doran")
    return {
        "ingest": {"consumed": 10, "published": 6, "protocol_frames": {"subscribed:quote": 1},
                   "dead_lettered": {"not_json": 3, "invalid_venue_message": 1},
                   "produced_by_topic": written(*raw)},
        "normalize": {"consumed": 4, "published": 4, "produced_by_topic": written("norm.swap_demand")},
        "decide": {"consumed": 5, "published": 4, "declined": {"amount_below_min": 1},
                   "produced_by_topic": written("cmd.execute_trade")},
        "execute-0": {"consumed": 4, "published": 3, "skipped_duplicates": 1,
                      "produced_by_topic": written("exec.trade_result", "exec.quote_signed")},
        # two signed quotes kept until settled, one quote_status settles, its duplicate is skipped
        "settle": {"consumed": 4, "published": 1, "skipped_duplicates": 1, "kept": 2,
                   "produced_by_topic": written("exec.quote_settlement")},
    }  # fmt: skip


def _rendered() -> tuple[str, list[Any]]:
    tallies = _tallies()
    counts = _counts(tallies)
    checks = reconcile(RELAY, tallies, counts)
    out = io.StringIO()
    print_tables(demo_console(out), summary_tables(RELAY, tallies, counts, checks, [12.0, 30.0]))
    return out.getvalue(), checks


def test_in_a_file_every_table_is_whole_apart_and_no_row_wraps() -> None:
    text, checks = _rendered()
    lines = text.splitlines()
    for title in ("records per topic (read_committed)", "dead letters (dlq.doran)", "reconciliation"):
        (line,) = [line for line in lines if title in line]
        assert line.startswith(title), f"a table's title shares a line with something else: {line!r}"
    for check in checks:  # each identity on one line, with both its numbers
        assert any(check.name in line and f" {check.left} " in line for line in lines), check.name
    assert "\x1b[" not in text  # no terminal colours in a file


def test_the_dead_letter_table_shows_records_and_ids_and_how_they_reconcile() -> None:
    text, _ = _rendered()
    assert "│ ingest: not_json              │       3 │               1 │" in text
    assert "│ total                         │       4 │               2 │" in text
    assert "4 records = 2 dead-letter ids + 2 repeats" in text and "identical frames share one id" in text


def test_results_and_settlements_show_distinct_events_copies_and_records() -> None:
    text, _ = _rendered()
    for line in (
        "exec.trade_result: QUOTE_ACCEPTED",
        "  = distinct results (one per command_id)",
        "  + republished copies",
        "  = records on exec.trade_result",
    ):
        assert line in text
    cells = [line.split("│") for line in text.splitlines() if line.count("│") == 3]
    rows = {cell[1][1:].rstrip(): cell[2].strip() for cell in cells}
    assert rows["  = distinct results (one per command_id)"] == "3"
    assert rows["  = records on exec.trade_result"] == "3"
    assert rows["  repeated commands (a quote commanded again)"] == "1"


def test_every_stage_and_every_topic_reconciles_visibly() -> None:
    _, checks = _rendered()
    names = {check.name: check for check in checks}
    for stage in ("ingest", "normalize", "decide", "execute-0", "settle"):
        assert names[f"{stage}: {STAGE_RULE}"].holds
    for topic in TOPICS:
        assert names[f"records on {topic} = records the stages wrote to it"].holds
    assert all(check.holds for check in checks), [c for c in checks if not c.holds]


def test_progress_in_a_file_is_printed_once_at_the_end() -> None:
    out = io.StringIO()
    with progress(demo_console(out)) as show:
        show("first")
        show("last")
    assert out.getvalue() == "last\n\n"
