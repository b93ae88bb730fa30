"""Errors of talking to the broker.

DoranError (doran.errors)
 └── BrokerError
      ├── TopicSetupError           a topic could not be created, or exists with fewer partitions
      └── TopicReadError            a topic could not be read to its end: broker unreachable, timeout
"""

from __future__ import annotations

from doran.errors import DoranError

__all__ = ["BrokerError", "TopicReadError", "TopicSetupError"]


class BrokerError(DoranError):
    """Root of every failure talking to the broker (the embedded broker's too)."""


class TopicSetupError(BrokerError):
    """A registry topic could not be created, or exists with fewer partitions than declared."""


class TopicReadError(BrokerError):
    """Partitions could not be read up to their end offsets (unreachable broker, open transaction)."""
