"""ExecutorStore: committed records survive a reopen, values are JSON text, misuse is refused."""

from __future__ import annotations

import json
import pickle
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.commands import command

from doran.contracts import ResultCode, TradeStatus
from doran.executor import (
    STATE_FILE_NAME,
    CommandState,
    ExecutorStateError,
    ExecutorStore,
    QuoteRecord,
    QuoteState,
    Ticket,
    VenueOutcome,
    trade_result_event,
)

NOW = datetime(2026, 3, 28, 20, 0, 2, tzinfo=UTC)
LATER = datetime(2026, 3, 28, 20, 0, 3, tzinfo=UTC)
FILLED = VenueOutcome(TradeStatus.FILLED, ResultCode.FILLED, "ok")
TICKET = Ticket(
    "8Q5vMNtbekoP5sCQ3xUf3MDABeVy27W4JFFiyHPQCKrt", "2026-03-28T20:01:12.000000Z", {"method": "m"}
)


def quote(n: int, deadline: str = "2026-03-28T20:01:12.000000Z") -> QuoteRecord:
    return QuoteRecord(f"hash-{n}", deadline, {"command_id": f"cmd-q-{n:05d}", "quote_id": f"q-{n:05d}"})


def raw_rows(state_dir: Path) -> list[tuple[str, object, str]]:
    with sqlite3.connect(state_dir / STATE_FILE_NAME) as db:
        return list(db.execute('SELECT key, value, typeof(value) FROM "commands" ORDER BY key'))


def test_begin_is_on_disk_with_its_ticket_after_reopen(state_dir: Path) -> None:
    first = ExecutorStore.open(state_dir)
    assert first.existed_before_open is False
    first.begin([(command(1), TICKET)], now=NOW)
    first.close()

    with ExecutorStore.open(state_dir) as reopened:
        record = reopened.get("cmd-q-00001")
        assert reopened.existed_before_open is True
    assert record is not None
    assert record.state is CommandState.PROCESSING
    assert record.command_event() == command(1)
    assert record.ticket_of() == TICKET
    assert (record.result, record.began_at, record.completed_at) == (
        None,
        "2026-03-28T20:00:02.000000Z",
        None,
    )


def test_commit_records_results_and_quotes_together(state_dir: Path) -> None:
    result = trade_result_event(command(1), FILLED, Ticket(), now=LATER)
    with ExecutorStore.open(state_dir) as first:
        first.begin([(command(1), Ticket())], now=NOW)
        first.commit(done=[result], quotes=[quote(1)], now=LATER)

    with ExecutorStore.open(state_dir) as reopened:
        record = reopened.get("cmd-q-00001")
        assert len(reopened) == 1
        assert [q.quote_hash for q in reopened.pending()] == ["hash-1"]
        assert reopened.quote("hash-1") == quote(1)
    assert record is not None and record.state is CommandState.DONE
    assert record.result_event() == result
    assert (record.began_at, record.completed_at) == (
        "2026-03-28T20:00:02.000000Z",
        "2026-03-28T20:00:03.000000Z",
    )


def test_pending_quotes_come_soonest_deadline_first_and_leave_once_settled(store: ExecutorStore) -> None:
    late, soon = quote(1, "2026-03-28T20:05:00.000000Z"), quote(2, "2026-03-28T20:02:00.000000Z")
    store.commit(done=[], quotes=[late, soon], now=NOW)
    assert [q.quote_hash for q in store.pending()] == ["hash-2", "hash-1"]
    expired = soon.settled(QuoteState.EXPIRED, {"x": 1}, None)
    store.commit(done=[], quotes=[expired], now=NOW)
    assert [q.quote_hash for q in store.pending()] == ["hash-1"]
    assert store.unpublished() == [expired]


def test_an_expiry_stays_unpublished_until_marked_and_a_fill_never_needs_it(state_dir: Path) -> None:
    expired = quote(1).settled(QuoteState.EXPIRED, {"x": 1}, None)
    filled = quote(2).settled(QuoteState.FILLED, {"y": 2}, "status-1")
    with ExecutorStore.open(state_dir) as store:
        store.commit(done=[], quotes=[expired, filled], now=NOW)
    with ExecutorStore.open(state_dir) as store:
        assert [q.quote_hash for q in store.unpublished()] == ["hash-1"]
        store.mark_published(["hash-1"])
        assert store.unpublished() == []
    with ExecutorStore.open(state_dir) as store:
        assert store.unpublished() == []
        assert store.quote("hash-2") == filled


def test_records_are_json_text_not_pickle(state_dir: Path) -> None:
    with ExecutorStore.open(state_dir) as store:
        store.begin([(command(1), Ticket())], now=NOW)
        store.commit(done=[trade_result_event(command(1), FILLED, Ticket(), now=NOW)], quotes=[], now=NOW)
    [(key, value, sql_type)] = raw_rows(state_dir)
    assert (key, sql_type) == ("cmd-q-00001", "text")
    assert isinstance(value, str)
    document = json.loads(value)
    assert document["state"] == "done"
    assert document["command"] is None  # a done record keeps its result only
    assert document["result"]["payload"]["result_code"] == "FILLED"


def test_a_pickled_value_is_refused_not_unpickled(state_dir: Path) -> None:
    ExecutorStore.open(state_dir).close()
    with sqlite3.connect(state_dir / STATE_FILE_NAME) as db:
        db.execute('INSERT INTO "commands" VALUES (?, ?)', ("cmd-x", pickle.dumps({"state": "done"})))
    with ExecutorStore.open(state_dir) as store, pytest.raises(ExecutorStateError, match="not JSON"):
        store.get("cmd-x")


def test_a_foreign_json_record_is_refused(state_dir: Path) -> None:
    ExecutorStore.open(state_dir).close()
    with sqlite3.connect(state_dir / STATE_FILE_NAME) as db:
        db.execute('INSERT INTO "commands" VALUES (?, ?)', ("cmd-x", '{"state": "weird"}'))
        db.execute('INSERT INTO "commands" VALUES (?, ?)', ("quote:h", '{"state": "weird"}'))
    with pytest.raises(ExecutorStateError, match="did not write"):
        ExecutorStore.open(state_dir)  # pending quotes are read at open


def test_a_result_without_a_begun_command_is_refused(store: ExecutorStore) -> None:
    result = trade_result_event(command(9), FILLED, Ticket(), now=NOW)
    with pytest.raises(ExecutorStateError, match="begin"):
        store.commit(done=[result], quotes=[], now=NOW)
    assert store.get("cmd-q-00009") is None


def test_snapshot_holds_only_known_commands(store: ExecutorStore) -> None:
    store.begin([(command(1), Ticket())], now=NOW)
    snapshot = store.snapshot(["cmd-q-00001", "cmd-q-00002", "cmd-q-00001"])
    assert list(snapshot) == ["cmd-q-00001"]
    assert snapshot["cmd-q-00001"].state is CommandState.PROCESSING


def test_empty_and_missing(state_dir: Path) -> None:
    with ExecutorStore.open(state_dir) as store:
        assert store.is_empty()
        store.commit(done=[], quotes=[quote(1)], now=NOW)
        assert store.is_empty(), "a quote is no command"
        store.begin([(command(1), Ticket())], now=NOW)
        assert not store.is_empty()
        assert [record.command_id for record in store] == ["cmd-q-00001"]
    assert (state_dir / STATE_FILE_NAME).exists()


def test_snapshot_spans_more_keys_than_one_query_holds(store: ExecutorStore) -> None:
    store.begin([(command(n), Ticket()) for n in range(1200)], now=NOW)
    snapshot = store.snapshot([f"cmd-q-{n:05d}" for n in range(0, 1300)])
    assert set(snapshot) == {f"cmd-q-{n:05d}" for n in range(1200)}


def finish(store: ExecutorStore, n: int, at: datetime) -> None:
    store.begin([(command(n), Ticket())], now=at)
    store.commit(done=[trade_result_event(command(n), FILLED, Ticket(), now=at)], quotes=[], now=at)


def test_forget_deletes_what_finished_before_the_horizon_oldest_first(state_dir: Path) -> None:
    with ExecutorStore.open(state_dir) as store:
        for n in range(5):
            finish(store, n, NOW + timedelta(hours=n))
        store.begin([(command(9), TICKET)], now=NOW)  # processing: never forgotten
        store.commit(done=[], quotes=[quote(1)], now=NOW)  # pending: never forgotten

        assert store.forget(NOW + timedelta(hours=3), limit=2) == 2
        assert store.forget(NOW + timedelta(hours=3), limit=2) == 1
        assert store.forget(NOW + timedelta(hours=3), limit=2) == 0
        assert store.forget(NOW + timedelta(days=30), limit=100) == 2
    with ExecutorStore.open(state_dir) as reopened:
        assert [(r.command_id, r.state) for r in reopened] == [("cmd-q-00009", CommandState.PROCESSING)]
        assert reopened.quote("hash-1") == quote(1)


def test_an_expiry_is_kept_until_it_is_published(state_dir: Path) -> None:
    expired = quote(2).settled(QuoteState.EXPIRED, {"event_id": "quote_settlement-2"}, None)
    with ExecutorStore.open(state_dir) as store:
        store.commit(done=[], quotes=[expired], now=NOW)
        assert store.forget(LATER + timedelta(days=1), limit=10) == 0
        store.mark_published(["hash-2"])
        assert store.forget(LATER + timedelta(days=1), limit=10) == 1
        assert store.quote("hash-2") is None


def test_a_done_record_is_small_whatever_its_ticket(state_dir: Path) -> None:
    big = Ticket(TICKET.quote_hash, TICKET.quote_deadline, {"params": ["x" * 5_000]})
    with ExecutorStore.open(state_dir) as store:
        store.begin([(command(1), big)], now=NOW)
        store.commit(done=[trade_result_event(command(1), FILLED, big, now=NOW)], quotes=[], now=NOW)
    [(_, value, _)] = raw_rows(state_dir)
    assert isinstance(value, str) and len(value) < 1_500
