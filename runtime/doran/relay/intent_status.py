"""The relay's HTTP JSON-RPC `get_status`: what the relay knows of an intent, by its hash.

    POST <rpc url>  {"jsonrpc":"2.0","id":1,"method":"get_status","params":[{"intent_hash":"<base58>"}]}
    -> {"result":{"intent_hash":"…","status":"SETTLED","data":{"hash":"<tx hash>"}}}

Statuses: PENDING | TX_BROADCASTED | SETTLED | NOT_FOUND_OR_NOT_VALID (the SDK's solverRelayHttpClient
`GetStatusResponse`, the relay's rpc docs). The settlement stage asks with a signed quote's quote_hash,
which is the contract's hash of that signed intent; whether the relay indexes a solver's quote under it
(rather than only the user's published intent) is unverified (docs/operations.md).
"""

from __future__ import annotations

import re
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx2
from pydantic import SecretStr

from doran.relay.errors import RelayConfigError, RelayError, RelayRejectedError, RelayUnavailableError

__all__ = ["IntentState", "IntentStatus", "IntentStatusAsker", "IntentStatusClient", "rpc_url"]

_BASE58_HASH = re.compile(r"^[1-9A-HJ-NP-Za-km-z]{32,44}$")  # a 32-byte hash, as NEAR writes it
_LARGEST_ANSWER = 65_536  # a status is a few hundred bytes; more is not an answer worth keeping


class IntentState(StrEnum):
    PENDING = "PENDING"
    TX_BROADCASTED = "TX_BROADCASTED"
    SETTLED = "SETTLED"
    NOT_FOUND_OR_NOT_VALID = "NOT_FOUND_OR_NOT_VALID"


@dataclass(frozen=True, slots=True)
class IntentStatus:
    """The relay's answer about one intent; `answer` is its JSON-RPC result as received."""

    intent_hash: str
    state: IntentState
    tx_hash: str | None
    answer: dict[str, Any]


def rpc_url(relay_url: str) -> str:
    """The relay's HTTP JSON-RPC endpoint beside its websocket: wss://host/ws -> https://host/rpc."""
    parts = urlsplit(relay_url)
    schemes = {"wss": "https", "ws": "http", "https": "https", "http": "http"}
    if parts.scheme not in schemes or not parts.netloc:
        raise RelayConfigError(
            f"Cannot derive the relay's RPC URL from DORAN_RELAY_URL {relay_url!r}: set DORAN_RELAY_RPC_URL."
        )
    return urlunsplit((schemes[parts.scheme], parts.netloc, "/rpc", "", ""))


class IntentStatusClient:
    """Asks the relay's `get_status`, one intent per request; use as a context manager."""

    def __init__(self, url: str, *, api_key: SecretStr | None = None, timeout_s: float = 5.0) -> None:
        self.url = url
        headers = {"Content-Type": "application/json"}
        if api_key is not None:
            headers["Authorization"] = f"Bearer {api_key.get_secret_value()}"
        self._client = httpx2.Client(timeout=timeout_s, headers=headers)
        self._ids = 0

    def __enter__(self) -> IntentStatusClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def get_status(self, intent_hash: str) -> IntentStatus:
        """The relay's status of `intent_hash`. RelayUnavailableError: no answer (transport, timeout, HTTP
        5xx); RelayRejectedError: HTTP 401/403; RelayError: an answer that is not a status."""
        self._ids += 1
        body = {
            "jsonrpc": "2.0",
            "id": self._ids,
            "method": "get_status",
            "params": [{"intent_hash": intent_hash}],
        }
        try:
            response = self._client.post(self.url, json=body)
        except httpx2.TransportError as exc:
            raise RelayUnavailableError(
                f"relay get_status unreachable at {self.url}: {exc or type(exc).__name__}"
            ) from exc
        if response.status_code in (401, 403):
            raise RelayRejectedError(
                f"relay get_status at {self.url} answered HTTP {response.status_code}: "
                "check DORAN_RELAY_API_KEY"
            )
        if response.status_code >= 500 or response.status_code == 429:
            raise RelayUnavailableError(
                f"relay get_status at {self.url} answered HTTP {response.status_code}"
            )
        if len(response.content) > _LARGEST_ANSWER:
            raise RelayError(
                f"relay get_status at {self.url} for {intent_hash}: "
                f"an answer of {len(response.content)} bytes"
            )
        try:
            answer = response.json()
        except ValueError:
            answer = None
        result = answer.get("result") if isinstance(answer, dict) else None
        if not isinstance(result, dict):
            error = answer.get("error") if isinstance(answer, dict) else None
            what = f"error {error!r}" if error is not None else f"HTTP {response.status_code}, no result"
            raise RelayError(f"relay get_status at {self.url} for {intent_hash}: {what}"[:500])
        try:
            state = IntentState(str(result.get("status")))
        except ValueError:
            raise RelayError(
                f"relay get_status at {self.url} for {intent_hash}: unknown status {result.get('status')!r}"[
                    :500
                ]
            ) from None
        data = result.get("data")
        tx_hash = data.get("hash") if isinstance(data, dict) else None
        if not (isinstance(tx_hash, str) and _BASE58_HASH.match(tx_hash)):
            tx_hash = None
        return IntentStatus(intent_hash, state, tx_hash, result)


class IntentStatusAsker:
    """Asks `client` on `workers` threads of its own, so that the caller's loop never waits for the
    relay: `ask` returns at once, `answers` takes what has come (an IntentStatus, or the RelayError
    that stood for it)."""

    def __init__(self, client: IntentStatusClient, *, workers: int = 4) -> None:
        self._client = client
        self.workers = workers
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="get-status")
        self._asked: dict[Future[IntentStatus], str] = {}
        self._lock = threading.Lock()

    def __enter__(self) -> IntentStatusAsker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def in_flight(self) -> int:
        with self._lock:
            return len(self._asked)

    def ask(self, intent_hash: str) -> None:
        future = self._pool.submit(self._client.get_status, intent_hash)
        with self._lock:
            self._asked[future] = intent_hash

    def answers(self) -> list[tuple[str, IntentStatus | RelayError]]:
        """The answers that came since the last call, without waiting."""
        with self._lock:
            done = [future for future in self._asked if future.done()]
            asked = [(self._asked.pop(future), future) for future in done]
        found: list[tuple[str, IntentStatus | RelayError]] = []
        for intent_hash, future in asked:
            failure = future.exception()
            if failure is None:
                found.append((intent_hash, future.result()))
            elif isinstance(failure, RelayError):
                found.append((intent_hash, failure))
            else:
                found.append(
                    (intent_hash, RelayError(f"relay get_status for {intent_hash}: {failure!r}"[:500]))
                )
        return found

    def close(self) -> None:
        """Stop asking: questions not started are dropped (their quotes stay pending, asked again by the
        next run), the one in flight ends within the client's timeout."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._client.close()
