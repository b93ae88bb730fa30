"""PartitionStore: rows and the changelog offset each table applied survive a reopen, JSON on disk, and
the memory answers misses only when it can know."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from doran.state import CLOCK_SKEW, Change, PartitionStore, Row, StoreUnreadable
from doran.wire import utc_timestamp

T0 = datetime(2026, 12, 1, tzinfo=UTC)


def row(value: object, at: datetime = T0) -> Row:
    return Row(utc_timestamp(at), value)


def test_rows_and_the_applied_offset_survive_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / "partition-0.sqlite"
    with PartitionStore.open(path, ["a", "b"]) as store:
        assert store.applied_offset is None  # a new store replays the whole changelog
        store.apply([Change("a", "k1", row({"n": 1})), Change("b", "k2", row("x"))], 7)
        store.apply([Change("a", "k1", None)], 9)
    with PartitionStore.open(path, ["a", "b"]) as store:
        assert store.applied_offset == 9
        assert store.get("a", "k1") is None
        assert store.get("b", "k2") == row("x")


def test_the_lowest_table_offset_is_where_a_replay_starts(tmp_path: Path) -> None:
    # A crash between two tables' commits leaves them at different offsets; replaying from the lower
    # one writes the same rows again.
    path = tmp_path / "p.sqlite"
    with PartitionStore.open(path, ["a"]) as store:
        store.apply([Change("a", "k", row(1))], 4)
    with PartitionStore.open(path, ["a", "b"]) as store:  # a table added later has applied nothing
        assert store.applied_offset is None


def test_rows_are_json_text_a_sqlite_shell_can_read(tmp_path: Path) -> None:
    path = tmp_path / "p.sqlite"
    with PartitionStore.open(path, ["commands"]) as store:
        store.apply([Change("commands", "cmd-1", row({"state": "done"}))], 0)
    with sqlite3.connect(path) as db:
        (value,) = db.execute("SELECT value FROM commands WHERE key = 'cmd-1'").fetchone()
    assert isinstance(value, str)
    assert orjson.loads(value) == {"at": utc_timestamp(T0), "value": {"state": "done"}}


def test_a_pickled_value_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "p.sqlite"
    with PartitionStore.open(path, ["commands"]) as store:
        store.apply([], 0)
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO commands VALUES ('cmd-1', ?)", (b"\x80\x04\x95",))
    with PartitionStore.open(path, ["commands"]) as store, pytest.raises(StoreUnreadable, match=str(path)):
        store.get("commands", "cmd-1")


def test_a_file_that_is_not_sqlite_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "p.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreUnreadable, match=str(path)):
        PartitionStore.open(path, ["commands"])


def test_a_miss_is_answered_from_memory_only_for_keys_born_after_it_is_complete(tmp_path: Path) -> None:
    path = tmp_path / "p.sqlite"
    with PartitionStore.open(path, ["t"]) as store:
        store.apply([Change("t", "old", row(1, T0))], 0)
    with PartitionStore.open(path, ["t"]) as store:
        # The memory is empty but complete since the last write: a key born later cannot be on disk.
        assert store.complete_since == T0
        later = T0 + CLOCK_SKEW + timedelta(seconds=1)
        assert store.get("t", "old", born_at=later) is None  # told by memory, not read
        assert store.get("t", "old", born_at=T0) == row(1, T0)  # read from disk: it could be there
        assert store.get("t", "old") == row(1, T0)


def test_evicting_from_memory_moves_complete_since_forward(tmp_path: Path) -> None:
    with PartitionStore.open(tmp_path / "p.sqlite", ["t"], memory=2) as store:
        store.apply([Change("t", f"k{i}", row(i, T0 + timedelta(minutes=i))) for i in range(3)], 0)
        # k0 left the memory: a key born before k0 was written must be read from disk.
        assert store.complete_since == T0
        assert store.get("t", "k0", born_at=T0 + CLOCK_SKEW * 2) is None
        assert store.get("t", "k0", born_at=T0) == row(0, T0)


def test_forget_deletes_rows_written_before_the_horizon_oldest_first(tmp_path: Path) -> None:
    with PartitionStore.open(tmp_path / "p.sqlite", ["t"]) as store:
        store.apply([Change("t", f"k{i}", row(i, T0 + timedelta(days=i))) for i in range(5)], 0)
        assert store.forget("t", T0 + timedelta(days=3), limit=2) == 2
        assert store.forget("t", T0 + timedelta(days=3), limit=2) == 1
        assert store.forget("t", T0 + timedelta(days=3), limit=2) == 0
        assert [key for key, _ in store.rows("t")] == ["k3", "k4"]
        assert store.get("t", "k0") is None
