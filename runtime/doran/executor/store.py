"""The executor's durable state: one JSON record per command and per signed quote, in a SQLite file.

Durability contract (what is on disk when):
- `begin(prepared)` returns only after every given command is committed as `processing` with its
  ticket (one transaction, fsync'd): call it BEFORE the venue sees any of them.
- `commit(done=..., quotes=...)` returns only after the batch's results and quote states are
  committed (one transaction, fsync'd): call it BEFORE any of them is published.
A batch is thus two commits however many commands it holds. Values are JSON text, never pickle.
Commands are keyed `cmd-...` (their command_id); quotes `quote:<quote_hash>`, in one table, so a
batch's changes to both commit together.

Bounded: a finished record (a done command, a settled and published quote) is listed in a second
table with when it finished, and `forget(before)` deletes those finished before a horizon, a few
at a time, so the file stays the size of the history that can still be redelivered.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import orjson
from sqlitedict import SqliteDict

from doran.contracts import ExecuteTradeEvent, TradeResultEvent
from doran.executor.errors import ExecutorStateError
from doran.executor.records import CommandRecord, CommandState, QuoteRecord, QuoteState
from doran.executor.venue import Ticket
from doran.wire import encoded_object, utc_timestamp

__all__ = ["STATE_FILE_NAME", "ExecutorStore"]

STATE_FILE_NAME = "executor-state.sqlite"
_TABLE = "commands"
_FINISHED = "finished"  # key -> when its record finished: what `forget` may delete, oldest first
_QUOTE = "quote:"
_SNAPSHOT_CHUNK = 500  # below SQLite's default limit of 999 bound parameters on old builds


def _encode(value: Any) -> str:
    # str, not bytes: SQLite then stores TEXT, readable with any sqlite3 shell.
    return orjson.dumps(value).decode()


def _decode(value: str | bytes) -> Any:
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise ExecutorStateError(
            f"Executor state holds a value that is not JSON (written by another tool, or pickled?): {exc}"
        ) from exc


class ExecutorStore:
    """Durable command and quote records at `<state_dir>/executor-state.sqlite`; open with `open`.

    Quotes still awaiting their settlement are also held in memory (they are few: a quote's life is
    its deadline), so matching a quote_status and finding due expiries read no disk.
    """

    def __init__(self, path: Path, db: SqliteDict, *, existed: bool) -> None:
        self.path = path
        self.existed_before_open = existed
        self._db = db
        self._begun: dict[str, CommandRecord] = {}
        self._pending: dict[str, QuoteRecord] = {}
        self._unpublished: dict[str, QuoteRecord] = {}
        for key, value in self._select(f"{_QUOTE}%"):
            quote = QuoteRecord.from_json(key.removeprefix(_QUOTE), _decode(value))
            if quote.state is QuoteState.PENDING:
                self._pending[quote.quote_hash] = quote
            elif not quote.published:
                self._unpublished[quote.quote_hash] = quote

    @classmethod
    def open(cls, state_dir: Path) -> ExecutorStore:
        """Open (creating if absent) the state file; records whether it existed before, for check_startup."""
        state_dir.mkdir(parents=True, exist_ok=True)
        path = state_dir / STATE_FILE_NAME
        existed = path.exists()
        db = SqliteDict(
            str(path),
            tablename=_TABLE,
            autocommit=False,
            journal_mode="WAL",
            encode=_encode,
            decode=_decode,
            outer_stack=False,
        )
        # sqlitedict sets `synchronous=OFF`, which survives a killed process but not a lost node or
        # power cut; it has no setting for it, so through its connection: FULL fsyncs every commit.
        db.conn.execute("PRAGMA synchronous=FULL")
        if db.conn.select_one("PRAGMA synchronous") != (2,):
            db.close()
            raise ExecutorStateError(f"Could not make {path} fsync its commits (PRAGMA synchronous=FULL).")
        db.conn.execute(f'CREATE TABLE IF NOT EXISTS "{_FINISHED}" (key TEXT PRIMARY KEY, at TEXT NOT NULL)')
        db.conn.execute(f'CREATE INDEX IF NOT EXISTS "{_FINISHED}_at" ON "{_FINISHED}" (at)')
        db.commit(blocking=True)
        return cls(path, db, existed=existed)

    def _select(self, pattern: str) -> Iterator[tuple[str, Any]]:
        """Rows whose key matches a LIKE pattern (sqlitedict has no prefix scan)."""
        yield from self._db.conn.select(f'SELECT key, value FROM "{_TABLE}" WHERE key LIKE ?', (pattern,))

    # --- commands -------------------------------------------------------------------------------

    def get(self, command_id: str, /) -> CommandRecord | None:
        """The committed record of a command, or None when it was never begun."""
        value = self._db.get(command_id)
        return None if value is None else CommandRecord.from_json(value)

    def snapshot(self, command_ids: Iterable[str]) -> dict[str, CommandRecord]:
        """The committed records of the given command_ids that exist (one batch's view)."""
        wanted = sorted(set(command_ids))
        records = {}
        # sqlitedict reads one key per call (a round trip to its thread each); a batch reads in chunks.
        for start in range(0, len(wanted), _SNAPSHOT_CHUNK):
            chunk = wanted[start : start + _SNAPSHOT_CHUNK]
            query = f'SELECT key, value FROM "{_TABLE}" WHERE key IN ({", ".join("?" * len(chunk))})'
            for key, value in self._db.conn.select(query, chunk):
                records[key] = CommandRecord.from_json(_decode(value))
        return records

    def begin(self, prepared: Sequence[tuple[ExecuteTradeEvent, Ticket]], *, now: datetime) -> None:
        """Record each command `processing` with its ticket, durably; only command_ids without a record."""
        began_at = utc_timestamp(now)
        records = [
            CommandRecord(
                command_id=command.payload.command_id,
                state=CommandState.PROCESSING,
                command=encoded_object(command),
                ticket=ticket.as_json(),
                result=None,
                began_at=began_at,
                completed_at=None,
            )
            for command, ticket in prepared
        ]
        if not records:
            return
        self._db.update((record.command_id, record.to_json()) for record in records)
        self._db.commit(blocking=True)
        self._begun.update((record.command_id, record) for record in records)

    # --- a batch's outcome ----------------------------------------------------------------------

    def commit(
        self, *, done: Sequence[TradeResultEvent], quotes: Sequence[QuoteRecord], now: datetime
    ) -> None:
        """Record results (their commands `done`) and quote states, durably, in one transaction."""
        completed_at = utc_timestamp(now)
        updates: list[tuple[str, Any]] = []
        for result in done:
            command_id = result.payload.command_id
            begun = self._begun.pop(command_id, None) or self.get(command_id)
            if begun is None:
                raise ExecutorStateError(
                    f"Result for {command_id!r} has no begun command: "
                    "begin() must commit a command before the venue sees it."
                )
            updates.append((command_id, begun.completed(encoded_object(result), completed_at).to_json()))
        updates += [(_QUOTE + quote.quote_hash, quote.to_json()) for quote in quotes]
        if not updates:
            return
        self._db.update(updates)
        finished = [(result.payload.command_id, completed_at) for result in done]
        finished += [
            (_QUOTE + q.quote_hash, completed_at) for q in quotes if q.state is not QuoteState.PENDING
        ]
        if finished:
            self._db.conn.executemany(f'INSERT OR REPLACE INTO "{_FINISHED}" VALUES (?, ?)', finished)
        self._db.commit(blocking=True)
        for quote in quotes:
            self._pending.pop(quote.quote_hash, None)
            self._unpublished.pop(quote.quote_hash, None)
            if quote.state is QuoteState.PENDING:
                self._pending[quote.quote_hash] = quote
            elif not quote.published:
                self._unpublished[quote.quote_hash] = quote

    # --- quotes ---------------------------------------------------------------------------------

    def quote(self, quote_hash: str) -> QuoteRecord | None:
        """The committed record of a signed quote, or None when this executor never signed it."""
        if quote_hash in self._pending:
            return self._pending[quote_hash]
        value = self._db.get(_QUOTE + quote_hash)
        return None if value is None else QuoteRecord.from_json(quote_hash, value)

    @property
    def awaiting_settlement(self) -> int:
        """How many quotes await their settlement."""
        return len(self._pending)

    def pending(self) -> list[QuoteRecord]:
        """Quotes still awaiting their settlement, soonest deadline first."""
        return sorted(self._pending.values(), key=lambda quote: quote.quote_deadline)

    def unpublished(self) -> list[QuoteRecord]:
        """Settled quotes whose settlement may not have been published (a crash came between)."""
        return list(self._unpublished.values())

    def mark_published(self, quote_hashes: Iterable[str]) -> None:
        """Note that these quotes' settlements are published. Not waited for: a mark lost in a crash
        only makes the restart publish that settlement again, under the same event_id."""
        marked = [self._unpublished.pop(h) for h in quote_hashes if h in self._unpublished]
        if marked:
            self._db.update((_QUOTE + q.quote_hash, q.with_published().to_json()) for q in marked)
            self._db.commit(blocking=False)

    # --- restoring ----------------------------------------------------------------------------

    def restore(self, commands: Sequence[CommandRecord], quotes: Sequence[QuoteRecord]) -> None:
        """Write a rebuilt history into this empty store, durably, in one transaction."""
        if not self.is_empty() or self._pending or self._unpublished:
            raise ExecutorStateError(
                f"{self.path} already holds a history: restore only into an empty store."
            )
        self._db.update([(record.command_id, record.to_json()) for record in commands])
        self._db.update([(_QUOTE + quote.quote_hash, quote.to_json()) for quote in quotes])
        finished = [(r.command_id, r.completed_at) for r in commands if r.completed_at is not None]
        finished += [
            (_QUOTE + q.quote_hash, str(q.settlement.get("ingested_at", q.quote_deadline)))
            for q in quotes
            if q.state is not QuoteState.PENDING and q.settlement is not None
        ]
        if finished:
            self._db.conn.executemany(f'INSERT OR REPLACE INTO "{_FINISHED}" VALUES (?, ?)', finished)
        self._db.commit(blocking=True)
        self._pending.update((q.quote_hash, q) for q in quotes if q.state is QuoteState.PENDING)

    # --- forgetting ---------------------------------------------------------------------------

    def forget(self, before: datetime, *, limit: int) -> int:
        """Delete up to `limit` records that finished before `before`, oldest first; how many.

        A settlement not yet known to be published is kept until it is. Not waited for: a deletion
        lost in a crash is done again later.
        """
        horizon = utc_timestamp(before)
        rows = self._db.conn.select(
            f'SELECT key FROM "{_FINISHED}" WHERE at < ? ORDER BY at LIMIT ?', (horizon, limit)
        )
        keys = [key for (key,) in rows if key.removeprefix(_QUOTE) not in self._unpublished]
        if not keys:
            return 0
        marks = ", ".join("?" * len(keys))
        self._db.conn.execute(f'DELETE FROM "{_TABLE}" WHERE key IN ({marks})', keys)
        self._db.conn.execute(f'DELETE FROM "{_FINISHED}" WHERE key IN ({marks})', keys)
        self._db.commit(blocking=False)
        return len(keys)

    # --- the file -------------------------------------------------------------------------------

    def __len__(self) -> int:
        return sum(1 for _ in self._select("cmd-%"))

    def __iter__(self) -> Iterator[CommandRecord]:
        return (CommandRecord.from_json(_decode(value)) for _, value in self._select("cmd-%"))

    def is_empty(self) -> bool:
        """Whether no command was ever recorded."""
        return next(self._select("cmd-%"), None) is None

    def close(self) -> None:
        """Commit nothing more and release the file."""
        self._db.close(do_log=False)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()
