"""Errors of the relay client.

DoranError (doran.errors)
 └── RelayError
      ├── RelayConfigError        the relay URL is unusable; retrying cannot help
      ├── RelayRejectedError      the relay refused the handshake (401/403) or the subscription
      └── RelayUnavailableError   the relay stayed unreachable for the allowed reconnect attempts
"""

from __future__ import annotations

from doran.errors import DoranError

__all__ = ["RelayConfigError", "RelayError", "RelayRejectedError", "RelayUnavailableError"]


class RelayError(DoranError):
    """Root of every relay client failure."""


class RelayConfigError(RelayError):
    """The relay URL is not a ws:// or wss:// URL."""


class RelayRejectedError(RelayError):
    """The relay answered with 401/403 or an error to `subscribe`: check DORAN_RELAY_API_KEY."""


class RelayUnavailableError(RelayError):
    """The relay could not be reached within the configured number of reconnect attempts."""
