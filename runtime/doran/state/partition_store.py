"""The working store of one input partition: sqlite tables on the local disk, a cache of the changelog.

A stage with state (the executor, the settlement stage) keeps one store per input partition it is
assigned, `<dir>/partition-<n>.sqlite`, one `SqliteDict` per table, JSON values (never pickle). Kafka
holds the truth: each change is also a changelog record, written in the transaction that publishes
the stage's outputs and commits its input offsets (`doran.state.changelog`). The store only saves
replaying the whole changelog at every start; lost, it is rebuilt from it (`doran.state.restore`).

Each table records the changelog offset it has applied under a reserved key, in the same sqlite
commit as its rows: whenever the process dies, replaying the changelog from the lowest recorded
offset brings every table up to date (a change applied twice writes the same row again). So a
commit need not be waited for: sqlitedict's thread makes it while the stage goes on, and reads
queue behind it. Every row is `{"at": <when it was written>,
"value": ...}`: the time forgetting goes by.

A read through sqlitedict is a round trip to its thread (~0.1 ms), too slow for every message. So
the store keeps the rows written or read most recently in memory, and knows since when that memory
is complete (`complete_since`: every row it lacks was written earlier). A caller that can bound when
a key could first have been written (`born_at`: a trade command cannot have been handled before
ingest received its quote) gets a definite miss from memory alone; other lookups read the disk.

Every operation on the file succeeds or raises a StateError naming the file, sqlite's reason and the
fix (`doran.state.store_failure`), never hangs (`doran.state.sqlite_table`): a commit that failed on
sqlitedict's thread is raised by the next call, or by `check()`, which costs no round trip. A store
whose volume failed (StoreFailed: full, read-only, an I/O error) stays failed: every later call
raises the same error, so a stage cannot go on past a write that did not happen. A damaged file is
StoreCorrupt, at open (a `PRAGMA quick_check` of the whole file) or whenever sqlite finds it.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import orjson

from doran.state.errors import StateError, StoreCorrupt, StoreFailed, StoreUnreadable
from doran.state.sqlite_table import SqliteTable
from doran.state.store_failure import StoreOperationError, store_failure
from doran.wire import parse_timestamp, utc_timestamp

__all__ = ["CLOCK_SKEW", "Change", "PartitionStore", "Row"]

_APPLIED = "~applied"  # reserved key of each table: {"offset": the changelog offset applied, "last_at": ...}
#: How far the clocks of two doran processes may disagree: a `born_at` only proves a miss when it is
#: this much later than the memory's `complete_since`.
CLOCK_SKEW = timedelta(seconds=60)
_BEGINNING = datetime.min.replace(tzinfo=UTC)
_SQLITE_HEADER = b"SQLite format 3\x00"


@dataclass(frozen=True, slots=True)
class Row:
    """A stored row: its value and when it was written."""

    at: str
    value: Any


@dataclass(frozen=True, slots=True)
class Change:
    """One row written (`row`) or deleted (`row` None) in a table; what a changelog record carries."""

    table: str
    key: str
    row: Row | None


def _encode(value: Any) -> str:
    # str, not bytes: SQLite then stores TEXT, readable with any sqlite3 shell.
    return orjson.dumps(value).decode()


class PartitionStore:
    """The tables of one partition; open with `PartitionStore.open(path, tables)`."""

    def __init__(self, path: Path, tables: dict[str, SqliteTable], memory: int) -> None:
        self.path = path
        self._tables = tables
        self._memory_limit = memory
        self._memory: dict[str, OrderedDict[str, Row | None]] = {name: OrderedDict() for name in tables}
        self._applied: dict[str, int | None] = {}
        self._failed: StoreFailed | None = None
        complete = _BEGINNING
        for name, table in tables.items():
            mark = self._read(name, table, _APPLIED)
            self._applied[name] = None if mark is None else int(mark["offset"])
            if mark is not None and mark.get("last_at"):
                complete = max(complete, parse_timestamp(mark["last_at"]))
        self.complete_since = complete

    @classmethod
    def open(cls, path: Path, tables: Sequence[str], *, memory: int = 100_000) -> PartitionStore:
        """Open (creating if absent) the store at `path` with these tables; `memory` rows kept per table.

        StoreUnreadable (StoreCorrupt: damaged) when the file is not a store this code can read: the
        caller may move it aside and restore from the changelog. StoreFailed when its volume refuses
        (full, read-only): moving it aside would not help.
        """
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.exists() and path.stat().st_size > 0:
                _check_file(path)
        except StoreOperationError as exc:
            raise store_failure(path, "opening", exc) from exc
        opened: dict[str, SqliteTable] = {}
        doing = "opening"
        try:
            for name in tables:
                doing = f"opening table {name!r}"
                opened[name] = SqliteTable(
                    str(path),
                    tablename=name,
                    autocommit=False,
                    journal_mode="WAL",
                    encode=_encode,
                    decode=lambda raw, where=path: _decode(raw, where),
                    outer_stack=False,
                )
            return cls(path, opened, memory)
        except BaseException as exc:
            for table in opened.values():
                table.close(do_log=False, force=True)
            if isinstance(exc, StoreOperationError):
                raise store_failure(path, doing, exc) from exc
            raise

    # --- reading --------------------------------------------------------------------------------

    @property
    def applied_offset(self) -> int | None:
        """The changelog offset every table has applied (replay from the next), None: replay all."""
        offsets = list(self._applied.values())
        if any(offset is None for offset in offsets):
            return None
        return min(offset for offset in offsets if offset is not None)

    def get(self, table: str, key: str, *, born_at: datetime | None = None) -> Row | None:
        """The row of `key`, or None. From memory when it knows; `born_at` (a lower bound of when the
        key could first have been written) lets a miss be decided without reading the disk."""
        if self._failed is not None:
            raise self._failed  # what memory holds may be ahead of what the file could keep
        memory = self._memory[table]
        if key in memory:
            return memory[key]
        if born_at is not None and born_at > self.complete_since + CLOCK_SKEW:
            return None
        stored = self._read(table, self._tables[table], key)
        row = None if stored is None else _row(stored, self.path)
        self._remember(table, key, row)
        return row

    def rows(self, table: str) -> Iterator[tuple[str, Row]]:
        """Every row of a table, least recently written first (sqlitedict reads in rowid order, and a
        row written again gets a new rowid); for loading what a stage keeps in memory at start."""
        with self._guard(f"table {table!r}"):
            for key, stored in self._tables[table].items():
                if key != _APPLIED:
                    yield key, _row(stored, self.path)

    def check(self) -> None:
        """Raise the store's failure, if its sqlite threads kept one (a non-blocking commit that
        failed) or stopped; no round trip to them."""
        if self._failed is not None:
            raise self._failed
        for name, table in self._tables.items():
            pending = table.pending()
            if pending is not None:
                with self._guard(f"table {name!r}"):
                    raise pending

    # --- writing --------------------------------------------------------------------------------

    def apply(self, changes: Sequence[Change], offset: int) -> None:
        """Write `changes` and record changelog `offset` as applied, one sqlite commit per table."""
        if not changes and offset == self.applied_offset:
            return
        by_table: dict[str, list[Change]] = {name: [] for name in self._tables}
        for change in changes:
            by_table[change.table].append(change)
        last_at = max((c.row.at for c in changes if c.row is not None), default=None)
        for name, table in self._tables.items():
            mine = by_table[name]
            written = [(c.key, {"at": c.row.at, "value": c.row.value}) for c in mine if c.row is not None]
            with self._guard(f"table {name!r}"):
                if written:
                    table.update(written)
                for change in mine:
                    if change.row is None:
                        with contextlib.suppress(KeyError):  # deleting what is not there: a replay
                            del table[change.key]
                table[_APPLIED] = {"offset": offset, "last_at": last_at}
                table.commit(blocking=False)
            self._applied[name] = offset
            for change in mine:
                self._remember(name, change.key, change.row)

    def forget(self, table: str, before: datetime, *, limit: int) -> int:
        """Delete up to `limit` rows of `table` written before `before`, oldest first; how many.

        Not changelogged: the changelog forgets by its own retention (doran.state.changelog)."""
        horizon = utc_timestamp(before)
        stale: list[str] = []
        for key, row in self.rows(table):
            if row.at >= horizon or len(stale) >= limit:
                break
            stale.append(key)
        if stale:
            stored = self._tables[table]
            with self._guard(f"table {table!r}"):
                for key in stale:
                    del stored[key]
                    self._memory[table].pop(key, None)
                stored.commit(blocking=False)
        return len(stale)

    # --- memory ---------------------------------------------------------------------------------

    def _remember(self, table: str, key: str, row: Row | None) -> None:
        memory = self._memory[table]
        memory[key] = row
        memory.move_to_end(key)
        while len(memory) > self._memory_limit:
            _, evicted = memory.popitem(last=False)
            if evicted is not None:
                self.complete_since = max(self.complete_since, parse_timestamp(evicted.at))

    def _read(self, table_name: str, table: SqliteTable, key: str) -> Any:
        with self._guard(f"table {table_name!r}"):
            return table.get(key)

    @contextmanager
    def _guard(self, doing: str) -> Iterator[None]:
        """Raise the store's failure if it has one; turn what `doing` raises into a StateError."""
        if self._failed is not None:
            raise self._failed
        try:
            yield
        except StoreOperationError as exc:
            error = store_failure(self.path, doing, exc)
            if isinstance(error, StoreFailed):
                self._failed = error
            raise error from exc

    # --- the file -------------------------------------------------------------------------------

    def close(self) -> None:
        """Release the file, once what was applied is committed: StateError if that commit failed,
        unless the store had failed before (that error was raised then)."""
        failed_before = self._failed is not None
        failure: StateError | None = None
        for name, table in self._tables.items():
            if table.conn is None:
                continue
            if failed_before:
                table.close(do_log=False, force=True)
                continue
            try:
                with self._guard(f"closing table {name!r}"):
                    table.close(do_log=False)
            except StateError as exc:
                failure = failure or exc
                table.close(do_log=False, force=True)
        if failure is not None:
            raise failure

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def _check_file(path: Path) -> None:
    """StoreCorrupt unless `path` is a SQLite database whose pages check out (`PRAGMA quick_check`:
    it reads the whole file once, at open, sparing sqlitedict's thread from meeting a bad page)."""
    with path.open("rb") as file:
        header = file.read(len(_SQLITE_HEADER))
    if header != _SQLITE_HEADER:
        raise StoreCorrupt(
            f"{path} is not a SQLite database (it starts with {header[:16]!r}); it is a cache of the "
            "stage's changelog: delete it and the stage rebuilds it on start."
        )
    connection = sqlite3.connect(path)
    try:
        found = [str(row[0]).replace("\n", "; ") for row in connection.execute("PRAGMA quick_check(3)")]
    finally:
        connection.close()
    if found != ["ok"]:
        raise StoreCorrupt(
            f"{path} is damaged (sqlite's quick_check: {'; '.join(found)}); it is a cache of the stage's "
            "changelog: delete it (with its -wal and -shm files) and the stage rebuilds it on start."
        )


def _decode(raw: str | bytes, path: Path) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise StoreUnreadable(
            f"{path} holds a value that is not JSON (written by another tool, or pickled?): {exc}"
        ) from exc


def _row(stored: Any, path: Path) -> Row:
    try:
        return Row(str(stored["at"]), stored["value"])
    except (KeyError, TypeError) as exc:
        raise StoreUnreadable(f"{path} holds a row this code did not write: {stored!r:.200}") from exc
