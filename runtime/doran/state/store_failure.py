"""What a failed operation on a working store's file means, as the StateError an operator can act on.

SQLite says why it failed in its result code (Python's `sqlite3.Error.sqlite_errorcode`), the
filesystem in `errno`: a full volume (SQLITE_FULL, ENOSPC), a file or volume that cannot be written
(SQLITE_READONLY, EROFS, EACCES), a damaged file (SQLITE_CORRUPT, SQLITE_NOTADB), or anything else
(an I/O error). Each message names the file, what was being done, sqlite's own words and the fix.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

from doran.state.errors import StateError, StoreCorrupt, StoreFull, StoreReadOnly, StoreWriteFailed
from doran.state.sqlite_table import WriterGone

__all__ = ["StoreOperationError", "store_failure"]

#: What an operation on a store's file can raise besides a StateError: sqlite's errors, the
#: filesystem's, sqlitedict's RuntimeError (a missing directory) and its thread's end.
StoreOperationError = (sqlite3.Error, OSError, RuntimeError)

# SQLite's primary result codes (https://www.sqlite.org/rescode.html)
_PERM, _READONLY, _IOERR, _CORRUPT, _FULL, _CANTOPEN, _NOTADB = 3, 8, 10, 11, 13, 14, 26
_CACHE = "it is a cache of the stage's changelog"


def store_failure(path: Path, doing: str, exc: BaseException) -> StateError:
    """The StateError of `exc`, raised by the store at `path` while `doing` (where: "opening", "table
    'x'"; an error of a commit is raised by the table's next call, so a read may report it)."""
    reason = str(exc) or type(exc).__name__
    code = getattr(exc, "sqlite_errorcode", None)
    primary = None if code is None else code & 0xFF
    number = getattr(exc, "errno", None)
    if primary == _FULL or number in (errno.ENOSPC, errno.EDQUOT):
        return StoreFull(
            f"{path}: {doing}: its volume is full (sqlite: {reason}). Free space on the volume of "
            f"{path.parent} (or give it more), then restart the stage; {_CACHE}, nothing recorded is lost."
        )
    if (
        primary in (_READONLY, _PERM)
        or number in (errno.EROFS, errno.EACCES, errno.EPERM)
        or (primary == _CANTOPEN and not _writable(path))
    ):
        return StoreReadOnly(
            f"{path}: {doing}: it cannot be written (sqlite: {reason}). Make the file and its directory "
            "writable by the stage's user (is the volume mounted read-only? who owns the file?), then "
            "restart the stage."
        )
    if primary in (_CORRUPT, _NOTADB):
        return StoreCorrupt(
            f"{path} is damaged: {doing}: sqlite: {reason}; {_CACHE}: delete it (with its -wal and -shm "
            "files) and the stage rebuilds it on start."
        )
    if isinstance(exc, WriterGone):
        reason = f"{reason}; see the log above for what it stopped on"
    return StoreWriteFailed(
        f"{path}: {doing}: sqlite: {reason}. Check its volume (I/O errors in the kernel log); {_CACHE}: "
        "deleting it (with its -wal and -shm files) makes the stage rebuild it on start."
    )


def _writable(path: Path) -> bool:
    """Whether the file (or, absent, its directory) can be written by this process."""
    existing = path if path.exists() else path.parent
    return existing.exists() and os.access(existing, os.W_OK)
