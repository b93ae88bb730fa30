"""Errors of `doran dlq replay`; each message names what is wrong and what to do about it.

DoranError
 ├── doran.broker.TopicReadError  a topic cannot be read to its end: broker unreachable, timeout
 └── ReplayError
      ├── ReplayConfigError   no broker to replay against (DORAN_BROKER_ADDRESS unset)
      ├── ReplayTargetError   a dead letter's source topic or partition does not exist on the broker
      └── ReplayWriteError    the broker did not take every replayed record (says how many landed)
"""

from __future__ import annotations

from doran.errors import DoranError

__all__ = ["ReplayConfigError", "ReplayError", "ReplayTargetError", "ReplayWriteError"]


class ReplayError(DoranError):
    """Base of every dead-letter replay failure."""


class ReplayConfigError(ReplayError):
    """The replay was started without a broker address."""


class ReplayTargetError(ReplayError):
    """A dead letter came from a topic or partition the broker does not have (any more)."""


class ReplayWriteError(ReplayError):
    """Some replayed records were not acknowledged by the broker."""
