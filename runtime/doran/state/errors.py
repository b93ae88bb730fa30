"""Errors of the partitioned state.

DoranError (doran.errors)
 └── StateError
      ├── StoreUnreadable       a working store holds what this code did not write (not JSON, a bad row);
      │    │                    the stage moves the file aside and rebuilds it from the changelog
      │    └── StoreCorrupt     sqlite finds the file damaged: not a database, truncated, bad pages
      ├── StoreFailed           the working store's volume refused an operation: the stage stops taking
      │    │                    work, turns unready and exits for a restart (nothing rebuilt in place)
      │    ├── StoreFull        the volume (or sqlite's page limit) is full
      │    ├── StoreReadOnly    the file, its directory or its volume cannot be written
      │    └── StoreWriteFailed any other failure of a read, write or commit (an I/O error, a lock)
      ├── ChangelogMismatch     the changelog topic exists but is not partitioned like the input topic
      └── RestoreIncomplete     a changelog partition was not read to its end in time
"""

from __future__ import annotations

from doran.errors import DoranError

__all__ = [
    "ChangelogMismatch",
    "RestoreIncomplete",
    "StateError",
    "StoreCorrupt",
    "StoreFailed",
    "StoreFull",
    "StoreReadOnly",
    "StoreUnreadable",
    "StoreWriteFailed",
]


class StateError(DoranError):
    """Root of the partitioned state's errors."""


class StoreUnreadable(StateError):
    """A working store's file holds a value this code did not write; it names the file."""


class StoreCorrupt(StoreUnreadable):
    """SQLite reports a working store's file damaged (not a database, truncated, a bad page)."""


class StoreFailed(StateError):
    """An operation on a working store failed because of its volume; the message names the file, what
    sqlite said and what the operator does. The store stays failed: every later call raises it again."""


class StoreFull(StoreFailed):
    """The working store's volume is full (SQLITE_FULL)."""


class StoreReadOnly(StoreFailed):
    """The working store's file, directory or volume cannot be written."""


class StoreWriteFailed(StoreFailed):
    """A read, write or commit of a working store failed otherwise (an I/O error, a lock held)."""


class ChangelogMismatch(StateError):
    """The changelog topic cannot serve the input topic: another partition count, or not there."""


class RestoreIncomplete(StateError):
    """A changelog partition could not be read to its end within the restore timeout."""
