"""ExecutorStore: committed records survive a reopen, values are JSON text, misuse is refused."""

from __future__ import annotations

import json
import pickle
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from doran.contracts import ExecuteTradeEvent, ResultCode, TradeStatus
from doran.executor import (
    STATE_FILE_NAME,
    CommandState,
    ExecutorStateError,
    ExecutorStore,
    trade_result_event,
)

NOW = datetime(2026, 3, 28, 20, 0, 2, tzinfo=UTC)
LATER = datetime(2026, 3, 28, 20, 0, 3, tzinfo=UTC)
CommandFactory = Callable[..., ExecuteTradeEvent]


def raw_rows(state_dir: Path) -> list[tuple[str, object, str]]:
    with sqlite3.connect(state_dir / STATE_FILE_NAME) as db:
        return list(db.execute('SELECT key, value, typeof(value) FROM "commands" ORDER BY key'))


def test_begin_is_on_disk_after_reopen(state_dir: Path, make_command: CommandFactory) -> None:
    command = make_command("q-1")
    first = ExecutorStore.open(state_dir)
    assert first.existed_before_open is False
    first.begin([command], now=NOW)
    first.close()

    reopened = ExecutorStore.open(state_dir)
    record = reopened.get("cmd-q-1")
    reopened.close()
    assert reopened.existed_before_open is True
    assert record is not None
    assert record.state is CommandState.PROCESSING
    assert record.command_event() == command
    assert record.result is None
    assert (record.began_at, record.completed_at) == ("2026-03-28T20:00:02.000000Z", None)


def test_complete_is_on_disk_after_reopen(state_dir: Path, make_command: CommandFactory) -> None:
    command = make_command("q-1")
    result = trade_result_event(command, TradeStatus.FILLED, ResultCode.FILLED, "ok", now=LATER)
    with ExecutorStore.open(state_dir) as first:
        first.begin([command], now=NOW)
        first.complete([result], now=LATER)

    with ExecutorStore.open(state_dir) as reopened:
        record = reopened.get("cmd-q-1")
        assert len(reopened) == 1
    assert record is not None
    assert record.state is CommandState.DONE
    assert record.result_event() == result
    assert record.command_event() == command
    assert (record.began_at, record.completed_at) == (
        "2026-03-28T20:00:02.000000Z",
        "2026-03-28T20:00:03.000000Z",
    )


def test_records_are_json_text_not_pickle(state_dir: Path, make_command: CommandFactory) -> None:
    command = make_command("q-1")
    with ExecutorStore.open(state_dir) as store:
        store.begin([command], now=NOW)
        store.complete(
            [trade_result_event(command, TradeStatus.FILLED, ResultCode.FILLED, "ok", now=NOW)], now=NOW
        )
    [(key, value, sql_type)] = raw_rows(state_dir)
    assert key == "cmd-q-1"
    assert sql_type == "text"
    assert isinstance(value, str)
    document = json.loads(value)
    assert document["state"] == "done"
    assert document["command"]["payload"]["command_id"] == "cmd-q-1"
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
    with ExecutorStore.open(state_dir) as store, pytest.raises(ExecutorStateError, match="did not write"):
        store.get("cmd-x")


def test_a_result_without_a_begun_command_is_refused(
    store: ExecutorStore, make_command: CommandFactory
) -> None:
    result = trade_result_event(make_command("q-9"), TradeStatus.FILLED, ResultCode.FILLED, "ok", now=NOW)
    with pytest.raises(ExecutorStateError, match="begin"):
        store.complete([result], now=NOW)
    assert store.get("cmd-q-9") is None


def test_snapshot_holds_only_known_commands(store: ExecutorStore, make_command: CommandFactory) -> None:
    store.begin([make_command("q-1")], now=NOW)
    snapshot = store.snapshot(["cmd-q-1", "cmd-q-2", "cmd-q-1"])
    assert list(snapshot) == ["cmd-q-1"]
    assert snapshot["cmd-q-1"].state is CommandState.PROCESSING


def test_forget_removes_only_what_this_store_began_and_left_processing(
    state_dir: Path, make_command: CommandFactory
) -> None:
    with ExecutorStore.open(state_dir) as earlier:
        earlier.begin([make_command("q-old")], now=NOW)
    with ExecutorStore.open(state_dir) as store:
        store.begin([make_command("q-1"), make_command("q-2")], now=NOW)
        store.forget(["cmd-q-1", "cmd-q-old"])
    with ExecutorStore.open(state_dir) as reopened:
        assert reopened.get("cmd-q-1") is None
        assert reopened.get("cmd-q-2") is not None
        assert reopened.get("cmd-q-old") is not None


def test_empty_and_missing(state_dir: Path, make_command: CommandFactory) -> None:
    with ExecutorStore.open(state_dir) as store:
        assert store.is_empty()
        store.begin([make_command("q-1")], now=NOW)
        assert not store.is_empty()
        assert [record.command_id for record in store] == ["cmd-q-1"]
    assert (state_dir / STATE_FILE_NAME).exists()


def test_snapshot_spans_more_keys_than_one_query_holds(
    store: ExecutorStore, make_command: CommandFactory
) -> None:
    store.begin([make_command(f"q-{n}") for n in range(1200)], now=NOW)
    snapshot = store.snapshot([f"cmd-q-{n}" for n in range(0, 1300)])
    assert set(snapshot) == {f"cmd-q-{n}" for n in range(1200)}
