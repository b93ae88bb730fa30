"""Errors of the partitioned state.

DoranError (doran.errors)
 └── StateError
      ├── StoreUnreadable       a working store holds what this code did not write (not JSON, a bad row)
      ├── ChangelogMismatch     the changelog topic exists but is not partitioned like the input topic
      └── RestoreIncomplete     a changelog partition was not read to its end in time
"""

from __future__ import annotations

from doran.errors import DoranError

__all__ = ["ChangelogMismatch", "RestoreIncomplete", "StateError", "StoreUnreadable"]


class StateError(DoranError):
    """Root of the partitioned state's errors."""


class StoreUnreadable(StateError):
    """A working store's file holds a value this code did not write; it names the file."""


class ChangelogMismatch(StateError):
    """The changelog topic cannot serve the input topic: another partition count, or not there."""


class RestoreIncomplete(StateError):
    """A changelog partition could not be read to its end within the restore timeout."""
