"""`SqliteTable`: a sqlitedict table whose failures reach the caller, and whose calls never hang.

sqlitedict (2.1) runs each table's sqlite connection on a thread of its own, fed by a queue; a
statement's error is kept and raised at the caller's next call. But its thread runs `commit` outside
that guard, and iterates a query's rows outside it too: a full disk, a read-only file or a damaged
page there ends the thread, and every later read waits forever on a queue no one fills (issue 18:
the executor hung after a quote, SIGTERM ignored, /readyz still 200). Here the thread's connection
and cursor keep such an error like any other (raised at the next call), and a read waits on the
thread only while it is alive: a thread gone for any reason is `WriterGone`, never a hang.

This leans on sqlitedict's thread internals (`_connect`, `select`, its request markers); its tests
(tests/state/test_store_faults.py) fail loudly if a release changes them.
"""

from __future__ import annotations

import logging
import sqlite3
import sys
from collections.abc import Iterator
from queue import Empty, Queue
from types import TracebackType
from typing import Any

from sqlitedict import _RESPONSE_NO_MORE, SqliteDict, SqliteMultithread

__all__ = ["SqliteTable", "WriterGone"]

#: How often a read waiting on the table's thread checks that the thread still runs.
_ALIVE_CHECK_S = 0.5
# sqlitedict logs each kept error as a multi-line traceback at ERROR; the store raises it instead, as
# a StateError saying what failed and what to do. Lower this logger's level to see them.
_THREAD_LOG = logging.getLogger("doran.state.sqlitedict")
_THREAD_LOG.setLevel(logging.CRITICAL)

_ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


class WriterGone(RuntimeError):
    """The thread that runs a table's sqlite connection has stopped; nothing more can be read or written."""


class _Writer(SqliteMultithread):  # type: ignore[misc]
    """sqlitedict's connection thread, whose commit and row iteration keep their errors."""

    @property
    def log(self) -> logging.Logger:
        return _THREAD_LOG

    @log.setter
    def log(self, _ignored: logging.Logger) -> None:
        pass  # sqlitedict's own logger is replaced by the quiet one above

    def run(self) -> None:
        try:
            super().run()
        except Exception:  # its connection failed to open: kept for the caller, no thread traceback
            self.keep(_exc_info())

    def _connect(self) -> tuple[Any, Any]:
        connection, cursor = super()._connect()
        return _KeptConnection(connection, self), _KeptCursor(cursor, self)

    def keep(self, error: _ExcInfo) -> None:
        """Keep an error of this thread for the caller's next call (the first one, if several)."""
        with self._lock:
            if self._kept() is None:
                self.exception = error

    def pending(self) -> BaseException | None:
        """The error kept for the next call, or WriterGone if the thread stopped; not cleared."""
        kept = self._kept()
        if kept is not None:
            return kept[1]
        if not self.is_alive():
            return WriterGone(f"sqlite's thread for {self.filename} has stopped")
        return None

    def _kept(self) -> _ExcInfo | None:
        kept: _ExcInfo | None = getattr(self, "exception", None)  # set by sqlitedict, from any thread
        return kept

    def select(self, req: str, arg: Any = None) -> Iterator[Any]:
        # sqlitedict's select, waiting on the thread only while it runs.
        answers: Queue[Any] = Queue()
        self.execute(req, arg, answers)
        while True:
            answer = self._answer(answers)
            self.check_raise_error()
            if answer == _RESPONSE_NO_MORE:
                break
            yield answer

    def _answer(self, answers: Queue[Any]) -> Any:
        while True:
            try:
                return answers.get(timeout=_ALIVE_CHECK_S)
            except Empty:
                if not self.is_alive() and answers.empty():
                    self.check_raise_error()  # the error it stopped on, if it kept one
                    raise WriterGone(f"sqlite's thread for {self.filename} has stopped") from None


class _KeptConnection:
    """The thread's sqlite connection: a failed commit (or close) is kept, not the thread's end."""

    def __init__(self, connection: sqlite3.Connection, writer: _Writer) -> None:
        self._connection = connection
        self._writer = writer

    def commit(self) -> None:
        try:
            self._connection.commit()
        except Exception:
            self._writer.keep(_exc_info())

    def close(self) -> None:
        try:
            self._connection.close()
        except Exception:
            self._writer.keep(_exc_info())


class _KeptCursor:
    """The thread's cursor: an error while stepping through a query's rows ends the rows and is kept."""

    def __init__(self, cursor: sqlite3.Cursor, writer: _Writer) -> None:
        self._cursor = cursor
        self._writer = writer

    def execute(self, req: str, arg: Any) -> sqlite3.Cursor:
        return self._cursor.execute(req, arg)  # sqlitedict keeps this one's error itself

    def __iter__(self) -> Iterator[Any]:
        # Not `yield from`: closing this generator (its reader went away) would close the cursor too.
        while True:
            try:
                row = next(self._cursor)
            except StopIteration:
                return
            except Exception:
                self._writer.keep(_exc_info())
                return
            yield row


def _exc_info() -> _ExcInfo:
    kind, error, trace = sys.exc_info()
    assert kind is not None and error is not None  # called inside an except block
    return kind, error, trace


class SqliteTable(SqliteDict):  # type: ignore[misc]
    """A sqlitedict table (same arguments) on a `_Writer` thread."""

    def _new_conn(self) -> _Writer:
        return _Writer(
            self.filename,
            autocommit=self.autocommit,
            journal_mode=self.journal_mode,
            outer_stack=self._outer_stack,
        )

    def pending(self) -> BaseException | None:
        """An error the table's thread kept (a failed non-blocking commit), or WriterGone; not cleared."""
        connection = self.conn
        return None if connection is None else connection.pending()
