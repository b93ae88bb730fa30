"""Errors of the wire format.

DoranError (doran.errors)
 └── ContractError (ValueError)
      ├── ContractViolation   a message breaks its contract: every violation with its JSON pointer
      └── UnknownTopic        a topic or venue message the registry does not name (also a KeyError)
"""

from __future__ import annotations

from collections.abc import Sequence

from doran.contracts import TOPICS, VENUE_MESSAGES, DeadLetterReason, Violation
from doran.errors import ContractError

__all__ = ["ContractViolation", "UnknownTopic"]


class UnknownTopic(ContractError, KeyError):
    """The name is neither a topic nor a venue message of the registry (schemas/topics.json)."""

    def __init__(self, name: str) -> None:
        known = ", ".join([*TOPICS, *VENUE_MESSAGES])
        super().__init__(f'unknown topic or venue message "{name}"; the registry knows: {known}')

    def __str__(self) -> str:
        return str(self.args[0])


class ContractViolation(ContractError):
    """A message broke its contract; carries every violation with its JSON pointer, and the reason a
    dead letter of it gives (not_json, schema_violation, unknown_schema_version, wrong_event_type when
    decoding bytes; output_violation when a stage built it)."""

    def __init__(self, name: str, reason: DeadLetterReason, violations: Sequence[Violation]) -> None:
        self.topic = name
        self.reason = reason
        self.violations = list(violations)
        shown = "; ".join(f"{v.pointer or '(message)'}: {v.message}" for v in self.violations[:5])
        more = f" (+{len(self.violations) - 5} more)" if len(self.violations) > 5 else ""
        super().__init__(f"{name}: {reason.value}: {shown}{more}")
