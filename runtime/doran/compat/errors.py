"""Errors of the breaking-change gate.

DoranError
 └── CompatError                   a REF, folder or schema the gate was pointed at is unusable
"""

from __future__ import annotations

from doran.errors import DoranError

__all__ = ["CompatError"]


class CompatError(DoranError):
    """The gate cannot compare: an unknown git ref or folder, an unreadable schema, an unknown mode.

    `source` names the ref, folder or file at fault, so the message says what to fix.
    """

    def __init__(self, source: str, message: str) -> None:
        self.source = source
        self.message = message
        super().__init__(f"{source}: {message}")
