"""A working store whose file fails: full, read-only, truncated, damaged, its sqlite thread gone. Each
failure is a StateError naming the file and saying what to do, raised within bounds (never a hang);
a failed volume keeps failing (nothing more is written past a write that did not happen); a damaged
file is moved aside and rebuilt from the changelog (the one test here on the embedded broker)."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import subprocess
import sys
import textwrap
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Producer
from support.store_limits import page_limit

from doran.stages.stateful_stage import PartitionStores
from doran.state import (
    Change,
    PartitionStore,
    Row,
    StateError,
    StoreCorrupt,
    StoreFull,
    StoreReadOnly,
    StoreUnreadable,
    StoreWriteFailed,
    changelog_record,
    ensure_changelog,
)
from doran.state.sqlite_table import SqliteTable, WriterGone
from doran.wire import utc_timestamp

pytestmark = pytest.mark.timeout(120)

PAGE = 4096


def changes(batch: int, size: int = 20) -> list[Change]:
    at = utc_timestamp(datetime.now(UTC))
    return [Change("t", f"cmd-{batch}-{i}", Row(at, {"record": "x" * 300, "i": i})) for i in range(size)]


def fill_until_it_fails(store: PartitionStore, batches: int = 400) -> StateError:
    """Apply batches until the store raises; the error. After each, a read of a key never written
    waits for the batch's commit (reads queue behind it on the table's thread): the commits are
    not waited for otherwise, and the loop could end before the thread reaches the full disk."""
    for batch in range(batches):
        try:
            store.apply(changes(batch), batch)
            store.get("t", f"absent-{batch}")
            store.check()
        except StateError as exc:
            return exc
    raise AssertionError(f"{store.path} took {batches} batches without failing")


def within(seconds: float, call: Callable[[], Any]) -> BaseException | None:
    """Run `call` on a thread; what it raised (None: returned), failing the test if it is still
    running after `seconds` (a hang)."""
    raised: list[BaseException] = []

    def run() -> None:
        try:
            call()
        except BaseException as exc:
            raised.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still blocked after {seconds} s"
    return raised[0] if raised else None


def a_store(path: Path, batches: int) -> None:
    with PartitionStore.open(path, ["t"]) as store:
        for batch in range(batches):
            store.apply(changes(batch), batch)


@contextlib.contextmanager
def tmpfs(where: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` mounted at `where`; skips the test where mounting is not allowed."""
    where.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (no CAP_SYS_ADMIN?): {mounted.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


# --- full ---------------------------------------------------------------------------------------------


def test_writes_past_the_room_left_fail_with_store_full_naming_the_file_and_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(*page_limit(8))  # sqlite's own SQLITE_FULL past 8 pages of 4 KiB
    path = tmp_path / "partition-0.sqlite"
    store = PartitionStore.open(path, ["t"])
    error = fill_until_it_fails(store)
    assert isinstance(error, StoreFull), error
    assert str(path) in str(error)
    assert "database or disk is full" in str(error)
    assert "Free space on the volume" in str(error)
    # It stays failed: a read, a write and a check raise it again, at once.
    assert isinstance(within(10, lambda: store.get("t", "cmd-0-0")), StoreFull)
    assert isinstance(within(10, lambda: store.apply(changes(999), 999)), StoreFull)
    assert isinstance(within(10, store.check), StoreFull)
    assert within(10, store.close) is None  # its error was raised already


def test_a_full_volume_fails_the_commit_with_store_full_not_a_hang(tmp_path: Path) -> None:
    # On a real full volume, sqlite fails at the commit, on sqlitedict's thread: the bug of issue 18
    # (the thread died; every later read waited forever).
    with tmpfs(tmp_path / "volume", "256k") as volume:
        path = volume / "partition-0.sqlite"
        store = PartitionStore.open(path, ["t"])
        found: list[StateError] = []
        assert within(60, lambda: found.append(fill_until_it_fails(store))) is None
        assert isinstance(found[0], StoreFull), found[0]
        assert str(path) in str(found[0])
        raised = within(10, lambda: store.get("t", "never-written"))
        assert isinstance(raised, StoreFull), raised
        assert within(10, store.close) is None


def test_a_write_the_volume_refuses_at_commit_is_raised_by_the_next_call(tmp_path: Path) -> None:
    # Without root: a file size limit (RLIMIT_FSIZE) makes the write-ahead log's growth fail at commit
    # with EFBIG, which sqlite reports as a disk I/O error. In a child process: the limit is per process.
    path = tmp_path / "partition-0.sqlite"
    child = textwrap.dedent(
        f"""
        import json, resource
        from datetime import UTC, datetime
        from pathlib import Path
        from doran.state import Change, PartitionStore, Row, StateError
        resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, resource.RLIM_INFINITY))
        store = PartitionStore.open(Path({str(path)!r}), ["t"])
        at = datetime.now(UTC).isoformat()
        first = again = None
        for batch in range(400):
            try:
                store.apply([Change("t", f"{{batch}}-{{i}}", Row(at, "x" * 300)) for i in range(20)], batch)
                store.get("t", f"absent-{{batch}}")  # waits for the batch's commit (see fill_until_it_fails)
                store.check()
            except StateError as exc:
                first = exc
                break
        try:
            store.get("t", "never-written")
        except StateError as exc:
            again = type(exc).__name__
        store.close()
        print(json.dumps({{"type": type(first).__name__, "message": str(first), "again": again}}))
        """
    )
    done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["type"] == StoreWriteFailed.__name__, found
    assert found["again"] == StoreWriteFailed.__name__
    assert str(path) in found["message"]
    assert "disk I/O error" in found["message"]
    assert "Traceback" not in done.stderr, done.stderr  # no thread died noisily on the way


# --- read-only ------------------------------------------------------------------------------------------


def test_a_read_only_store_is_store_read_only_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "state" / "partition-0.sqlite"
    a_store(path, 3)
    if os.geteuid() == 0:
        # chmod does not stop root: remount a tmpfs holding the store read-only instead.
        with tmpfs(tmp_path / "volume", "4m") as volume:
            for part in path.parent.iterdir():
                shutil.copy(part, volume / part.name)
            subprocess.run(["mount", "-o", "remount,ro", str(volume)], check=True)
            _assert_read_only(volume / path.name)
        return
    path.chmod(0o444)
    path.parent.chmod(0o555)
    try:
        _assert_read_only(path)
    finally:
        path.parent.chmod(0o755)


def _assert_read_only(path: Path) -> None:
    def open_and_write() -> None:
        with PartitionStore.open(path, ["t"]) as store:
            store.apply(changes(100), 100)
            store.check()
            store.get("t", "never-written")

    raised = within(30, open_and_write)
    assert isinstance(raised, StoreReadOnly), raised
    assert str(path) in str(raised)
    assert "writable" in str(raised)
    assert not isinstance(raised, StoreUnreadable)  # not moved aside: rebuilding it would fail alike


# --- damaged ---------------------------------------------------------------------------------------------


def test_a_truncated_store_is_store_corrupt_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "partition-0.sqlite"
    a_store(path, 100)
    os.truncate(path, path.stat().st_size // 2)
    raised = within(30, lambda: PartitionStore.open(path, ["t"]))
    assert isinstance(raised, StoreCorrupt), raised
    assert isinstance(raised, StoreUnreadable)  # what the stage moves aside and rebuilds
    assert str(path) in str(raised)
    assert "changelog" in str(raised)


def test_damaged_middle_pages_are_found_when_the_store_opens(tmp_path: Path) -> None:
    path = tmp_path / "partition-0.sqlite"
    a_store(path, 100)
    _damage(path, first_page=3)
    raised = within(30, lambda: PartitionStore.open(path, ["t"]))
    assert isinstance(raised, StoreCorrupt), raised
    assert str(path) in str(raised)
    assert "quick_check" in str(raised)
    assert "\n" not in str(raised)


def test_a_page_damaged_after_the_store_opened_is_store_corrupt_when_read_not_a_hang(tmp_path: Path) -> None:
    # sqlitedict's thread meets the bad page while stepping through the rows: it used to die there,
    # leaving the reader waiting forever.
    path = tmp_path / "partition-0.sqlite"
    a_store(path, 100)
    store = PartitionStore.open(path, ["t"])
    _damage(path, first_page=path.stat().st_size // PAGE // 2)
    raised = within(30, lambda: sum(1 for _ in store.rows("t")))
    assert isinstance(raised, StoreCorrupt), raised
    assert str(path) in str(raised)
    within(10, store.close)


def _damage(path: Path, *, first_page: int) -> None:
    pages = path.stat().st_size // PAGE
    with path.open("r+b") as file:
        for page in range(first_page, pages - 2, 5):
            file.seek(page * PAGE)
            file.write(b"\xff" * PAGE)


# --- the thread -------------------------------------------------------------------------------------------


def test_a_read_after_the_tables_thread_stopped_raises_writer_gone_not_a_hang(tmp_path: Path) -> None:
    table = SqliteTable(str(tmp_path / "t.sqlite"), tablename="t", journal_mode="WAL")
    table["k"] = "v"
    table.commit()
    table.conn.close(force=True)  # the thread ends; sqlitedict itself would now wait forever
    table.conn.join(10)
    raised = within(10, lambda: table.get("k"))
    assert isinstance(raised, WriterGone), raised
    assert str(tmp_path / "t.sqlite") in str(raised)
    assert isinstance(table.pending(), WriterGone)


# --- rebuilt from the changelog ----------------------------------------------------------------------


@pytest.mark.integration
def test_a_damaged_store_is_moved_aside_with_one_warning_and_rebuilt_from_the_changelog(
    kafka_broker: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    topic = f"test-{uuid.uuid4().hex[:8]}.changelog"
    ensure_changelog(kafka_broker, topic, partitions=1, replication_factor=1, retention_ms=-1)
    producer = Producer({"bootstrap.servers": kafka_broker, "transactional.id": uuid.uuid4().hex})
    producer.init_transactions(10)
    producer.begin_transaction()
    kept = [Change("commands", f"k{i}", Row("2026-12-01T00:00:00Z", {"state": "done"})) for i in range(3)]
    for change in kept:
        record = changelog_record(0, change)
        producer.produce(topic, record.value, record.key, partition=0)
    producer.commit_transaction(10)
    path = tmp_path / "partition-0.sqlite"
    a_store(path, 100)
    _damage(path, first_page=3)

    stores = PartitionStores(
        tmp_path, ["commands"], broker=kafka_broker, changelog=topic, restore_timeout_s=60
    )
    with caplog.at_level(logging.WARNING):
        report = stores.open(0, dict)
    try:
        assert report.applied == 3
        assert stores[0].get("commands", "k1") == kept[1].row
        (aside,) = tmp_path.glob("partition-0.sqlite.unreadable-*")
        warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(warnings) == 1, warnings
        assert str(path) in warnings[0] and aside.name in warnings[0] and "quick_check" in warnings[0]
    finally:
        stores.close_all()
