"""Exceptions of the pipeline stages.

DoranError (doran.errors)
 └── PipelineError
      ├── InvalidVenueMessage   normalize: the venue's quote request cannot become a swap demand
      └── PolicyError         decide: the policy file is unreadable or inconsistent
"""

from __future__ import annotations

from collections.abc import Iterable

from doran.errors import DoranError

__all__ = ["InvalidVenueMessage", "PipelineError", "PolicyError"]


class PipelineError(DoranError):
    """Root of the errors a pipeline stage raises on purpose."""


class InvalidVenueMessage(PipelineError, ValueError):
    """The venue message is unusable; `violations` holds (JSON pointer into the envelope, message) pairs."""

    reason = "invalid_venue_message"

    def __init__(self, event_id: str, violations: Iterable[tuple[str, str]]) -> None:
        self.event_id = event_id
        self.violations: tuple[tuple[str, str], ...] = tuple(violations)
        listed = "; ".join(f"{pointer}: {message}" for pointer, message in self.violations)
        super().__init__(
            f"Event {event_id!r} carries a venue message that is not a usable quote request "
            f"({len(self.violations)} violation(s)): {listed}"
        )


class PolicyError(PipelineError, ValueError):
    """The decide policy cannot be loaded; the message names the file and the problem."""
