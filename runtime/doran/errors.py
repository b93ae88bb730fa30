"""The root of doran's exceptions; every error a user can act on derives from `DoranError`.

DoranError
 ├── ContractError (ValueError)          a contract source or a message breaks the contract
 │    ├── SchemaSourceError              a schema/registry/example file is unusable (file + JSON pointer)
 │    └── ContractViolation              a message failed validation (doran.wire)
 └── ... each area adds its own (doran.executor, doran.broker, doran.compat, doran.publish)
"""

from __future__ import annotations

__all__ = ["ContractError", "DoranError", "SchemaSourceError"]


class DoranError(Exception):
    """Base of every doran error."""


class ContractError(DoranError, ValueError):
    """A contract source or a message does not satisfy the contract."""


class SchemaSourceError(ContractError):
    """A file under schemas/ is unusable; names the file and the JSON pointer of the problem."""

    def __init__(self, file: str, pointer: str, message: str) -> None:
        self.file = file
        self.pointer = pointer
        self.message = message
        where = f"{file}#{pointer}" if pointer else file
        super().__init__(f"{where}: {message}")
