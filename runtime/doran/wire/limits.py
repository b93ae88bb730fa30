"""The constraints the generated models carry, for code that must respect or reuse them, and the one
the broker adds: the size of a record (DORAN_MAX_MESSAGE_BYTES), part of every topic's contract."""

from __future__ import annotations

from typing import Annotated, Any

from annotated_types import MaxLen
from pydantic import BaseModel

from doran.contracts import Violation

__all__ = ["contract_type", "max_length", "size_violation"]


def max_length(model: type[BaseModel], field: str) -> int:
    """The maxLength (strings) or maxItems (arrays) the contract sets on `model.field`."""
    for constraint in model.model_fields[field].metadata:
        if isinstance(constraint, MaxLen):
            return int(constraint.max_length)
    raise LookupError(f"{model.__name__}.{field} has no maximum length in its contract")


def contract_type(model: type[BaseModel], field: str) -> Any:
    """The type of `model.field` with every constraint the contract puts on it (pattern, lengths,
    bounds), for a hand-written model that holds the same kind of value, e.g. an asset id in a policy."""
    info = model.model_fields[field]
    return Annotated[info.annotation, *info.metadata]


def size_violation(what: str, size: int, limit: int) -> Violation:
    """Why `what`, of `size` bytes, cannot be a record: larger than any the broker takes."""
    return Violation(
        pointer="",
        message=f"{what} has {size} bytes; records are limited to {limit} "
        "(DORAN_MAX_MESSAGE_BYTES, the broker's message size)",
    )
