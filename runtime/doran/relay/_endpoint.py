"""The relay's websocket endpoint, as both of doran's connections to it open it: ingest's subscription
(RelayClient) and the executor's request session (RelaySession). One place for the URL check, the
Bearer token (never shown), the frame size limit and what a failed connection means."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import SecretStr
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from doran.relay._logging import redacting_logger
from doran.relay.errors import RelayConfigError

__all__ = ["RelayEndpoint", "failure_reason", "rejected_credentials", "with_instance_id"]

# The logger handed to websockets: it redacts the Authorization header websockets logs at DEBUG.
_socket_logger = redacting_logger("doran.relay.websocket")


@dataclass(frozen=True, slots=True)
class RelayEndpoint:
    """Where and how to connect; `open()` is the websocket connection as an async context manager."""

    url: str
    api_key: SecretStr | None = field(default=None, repr=False)
    open_timeout_s: float = 10.0
    max_frame_bytes: int = 2**22

    def __post_init__(self) -> None:
        if not self.url.startswith(("ws://", "wss://")):
            raise RelayConfigError(f"DORAN_RELAY_URL must start with ws:// or wss://, got {self.url!r}.")

    @property
    def authenticated(self) -> bool:
        return self.api_key is not None

    def open(self) -> connect:
        headers = (
            {} if self.api_key is None else {"Authorization": f"Bearer {self.api_key.get_secret_value()}"}
        )
        return connect(
            self.url,
            additional_headers=headers,
            open_timeout=self.open_timeout_s,
            max_size=self.max_frame_bytes,
            logger=_socket_logger,
            # No permessage-deflate: frames of a few hundred bytes gain little, and compressing each
            # one (both ends, every quote event and answer) took CPU on the quote's way.
            compression=None,
        )


def with_instance_id(url: str, instance_id: str | None) -> str:
    """`url` with the relay's `instance_id` query parameter (guaranteed delivery), replacing any given."""
    if instance_id is None:
        return url
    parts = urlsplit(url)
    query = [(name, value) for name, value in parse_qsl(parts.query) if name != "instance_id"]
    return urlunsplit(parts._replace(query=urlencode([*query, ("instance_id", instance_id)])))


def rejected_credentials(exc: InvalidStatus) -> bool:
    """Whether the relay refused the handshake's credentials (HTTP 401/403)."""
    return exc.response.status_code in (401, 403)


def failure_reason(exc: Exception) -> str:
    """What a failed or lost connection means, for a log line (never the token)."""
    if isinstance(exc, InvalidStatus):
        status = exc.response.status_code
        return f"HTTP {status}: check DORAN_RELAY_API_KEY" if rejected_credentials(exc) else f"HTTP {status}"
    return f"{type(exc).__name__}: {exc}"
