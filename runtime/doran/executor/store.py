"""The executor's durable idempotency state: one JSON record per command_id in a SQLite file.

Durability contract (what is on disk when):
- `begin(commands)` returns only after every given command is committed as `processing`
  (one transaction, fsync'd): call it BEFORE the venue adapter sees any of them.
- `complete(results)` returns only after every given command is committed as `done` with its
  result (one transaction, fsync'd): call it BEFORE any of those results is published.
A batch is thus two commits however many commands it holds. Values are JSON text, never pickle.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self

import orjson
from sqlitedict import SqliteDict

from doran.contracts import ExecuteTradeEvent, TradeResultEvent
from doran.executor.errors import ExecutorStateError
from doran.wire import utc_timestamp

__all__ = ["STATE_FILE_NAME", "CommandRecord", "CommandState", "ExecutorStore", "StoreView"]

STATE_FILE_NAME = "executor-state.sqlite"
_TABLE = "commands"
_SNAPSHOT_CHUNK = 500  # below SQLite's default limit of 999 bound parameters on old builds


class CommandState(StrEnum):
    """Where a command is: handed to the venue (`processing`) or finished with a result (`done`)."""

    PROCESSING = "processing"
    DONE = "done"


@dataclass(frozen=True, slots=True)
class CommandRecord:
    """What the store knows of one command_id; `command`/`result` are the envelopes as JSON objects."""

    command_id: str
    state: CommandState
    command: dict[str, Any]
    result: dict[str, Any] | None
    began_at: str
    completed_at: str | None

    def to_json(self) -> dict[str, Any]:
        """The record as stored."""
        return {
            "command_id": self.command_id,
            "state": self.state.value,
            "command": self.command,
            "result": self.result,
            "began_at": self.began_at,
            "completed_at": self.completed_at,
        }

    @classmethod
    def from_json(cls, value: Any) -> CommandRecord:
        """Parse a stored record; raises ExecutorStateError on anything else."""
        try:
            return cls(
                command_id=str(value["command_id"]),
                state=CommandState(value["state"]),
                command=dict(value["command"]),
                result=None if value["result"] is None else dict(value["result"]),
                began_at=str(value["began_at"]),
                completed_at=None if value["completed_at"] is None else str(value["completed_at"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ExecutorStateError(
                f"Executor state holds a record the executor did not write: {exc!r}"
            ) from exc

    def command_event(self) -> ExecuteTradeEvent:
        """The stored command as its contract model."""
        return ExecuteTradeEvent.model_validate(self.command)

    def result_event(self) -> TradeResultEvent | None:
        """The stored result as its contract model, once done."""
        return None if self.result is None else TradeResultEvent.model_validate(self.result)


class StoreView(Protocol):
    """Read access to records by command_id; a plain dict of records is one."""

    def get(self, command_id: str, /) -> CommandRecord | None: ...


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
    """Durable command records at `<state_dir>/executor-state.sqlite`; open with `ExecutorStore.open`."""

    def __init__(self, path: Path, db: SqliteDict, *, existed: bool) -> None:
        self.path = path
        self.existed_before_open = existed
        self._db = db
        self._begun: dict[str, CommandRecord] = {}

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
        # power cut. FULL fsyncs the WAL on every commit: a returned commit is on disk.
        db.conn.execute("PRAGMA synchronous=FULL")
        if db.conn.select_one("PRAGMA synchronous") != (2,):
            db.close()
            raise ExecutorStateError(f"Could not make {path} fsync its commits (PRAGMA synchronous=FULL).")
        return cls(path, db, existed=existed)

    def get(self, command_id: str, /) -> CommandRecord | None:
        """The committed record of a command, or None when it was never begun."""
        value = self._db.get(command_id)
        return None if value is None else CommandRecord.from_json(value)

    def snapshot(self, command_ids: Iterable[str]) -> dict[str, CommandRecord]:
        """The committed records of the given command_ids that exist (a StoreView for one batch)."""
        wanted = sorted(set(command_ids))
        records = {}
        # One query per chunk instead of one per key: each sqlitedict call is a round trip to its thread.
        for start in range(0, len(wanted), _SNAPSHOT_CHUNK):
            chunk = wanted[start : start + _SNAPSHOT_CHUNK]
            query = f'SELECT key, value FROM "{_TABLE}" WHERE key IN ({", ".join("?" * len(chunk))})'
            for key, value in self._db.conn.select(query, chunk):
                records[key] = CommandRecord.from_json(_decode(value))
        return records

    def begin(self, commands: Sequence[ExecuteTradeEvent], *, now: datetime) -> None:
        """Record each command as `processing` and commit durably; only for command_ids without a record."""
        began_at = utc_timestamp(now)
        records = [
            CommandRecord(
                command_id=command.payload.command_id,
                state=CommandState.PROCESSING,
                command=command.model_dump(mode="json"),
                result=None,
                began_at=began_at,
                completed_at=None,
            )
            for command in commands
        ]
        if not records:
            return
        self._db.update((record.command_id, record.to_json()) for record in records)
        self._db.commit(blocking=True)
        self._begun.update((record.command_id, record) for record in records)

    def complete(self, results: Sequence[TradeResultEvent], *, now: datetime) -> None:
        """Record each result's command `done` with its result and commit durably; then publish it."""
        completed_at = utc_timestamp(now)
        updates = []
        for result in results:
            command_id = result.payload.command_id
            begun = self._begun.pop(command_id, None) or self.get(command_id)
            if begun is None:
                raise ExecutorStateError(
                    f"Result for {command_id!r} has no begun command: "
                    "begin() must commit a command before the venue runs it."
                )
            done = CommandRecord(
                command_id=command_id,
                state=CommandState.DONE,
                command=begun.command,
                result=result.model_dump(mode="json"),
                began_at=begun.began_at,
                completed_at=completed_at,
            )
            updates.append((command_id, done.to_json()))
        if not updates:
            return
        self._db.update(updates)
        self._db.commit(blocking=True)

    def forget(self, command_ids: Iterable[str]) -> None:
        """Delete `processing` records this store began but the venue never saw, and commit durably.

        Only for commands begun by this instance whose adapter call never started (a batch that
        failed part-way): they then count as new when delivered again, instead of as recovered.
        """
        forgotten = [
            command_id for command_id in command_ids if self._begun.pop(command_id, None) is not None
        ]
        if not forgotten:
            return
        for command_id in forgotten:
            del self._db[command_id]
        self._db.commit(blocking=True)

    def __len__(self) -> int:
        return len(self._db)

    def __iter__(self) -> Iterator[CommandRecord]:
        return (CommandRecord.from_json(value) for value in self._db.values())

    def is_empty(self) -> bool:
        """Whether no command was ever recorded."""
        return len(self._db) == 0

    def close(self) -> None:
        """Commit nothing more and release the file."""
        self._db.close(do_log=False)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()
