"""The JSON-RPC requests a client sends the relay: `subscribe` and `quote_response`, answered on the
connection they came on; anything else is a JSON-RPC error."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from doran.devkit.relay_simulator.auction import AuctionBook, Bid
from doran.devkit.relay_simulator.clock import Instant
from doran.devkit.relay_simulator.connection import Connection
from doran.devkit.relay_simulator.guaranteed import StatusQueues
from doran.devkit.relay_simulator.hub import Hub
from doran.devkit.relay_simulator.journal import Journal
from doran.devkit.relay_simulator.messages import (
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    PARSE_ERROR,
    error_frame,
    event_frame,
    result_frame,
)
from doran.devkit.relay_simulator.records import OK, ReceivedResponse, SentStatus
from doran.devkit.relay_simulator.verdicts import INVALID_PARAMS, REFUSED, ContractState, judge_response

__all__ = ["SUBSCRIPTION_KINDS", "SUBSCRIPTION_REFUSED", "RequestHandler"]

#: What a client may subscribe to (`params[0]` of `subscribe`).
SUBSCRIPTION_KINDS = ("quote", "quote_status")
#: The error message when subscriptions are refused.
SUBSCRIPTION_REFUSED = "subscription not allowed"


class RequestHandler:
    """Answers requests: subscriptions through the hub, quote_responses through the verdicts and the book.

    `contract()` gives intents.near's state at the time of judging; with `answer_responses` False,
    responses are judged and recorded but never answered. `subscribe_requests` keeps each connection's
    first subscribe request (what the scripted simulator recorded).
    """

    def __init__(
        self,
        hub: Hub,
        book: AuctionBook,
        journal: Journal,
        contract: Callable[[], ContractState],
        *,
        refuse_subscription: bool,
        answer_responses: bool,
        status_queues: StatusQueues | None = None,
    ) -> None:
        self._hub = hub
        self._queues = status_queues if status_queues is not None else StatusQueues()
        self._book = book
        self._journal = journal
        self._contract = contract
        self._refuse_subscription = refuse_subscription
        self.answer_responses = answer_responses
        self.subscribe_requests: list[dict[str, Any]] = []

    async def handle(self, connection: Connection, text: str | bytes, received: Instant) -> bool:
        """Answer one frame received at `received`; True when it opened a new quote subscription."""
        try:
            request = json.loads(text)
        except ValueError as exc:
            await connection.send(error_frame(None, PARSE_ERROR, f"Parse error: {exc}"))
            return False
        if not isinstance(request, dict) or not isinstance(request.get("method"), str):
            request_id = request.get("id") if isinstance(request, dict) else None
            await connection.send(error_frame(request_id, INVALID_REQUEST, "Invalid Request: no method"))
            return False
        method = request["method"]
        if method == "subscribe":
            return await self._subscribe(connection, request, received)
        if method == "quote_response":
            await self._respond(connection, request, received)
        else:
            await connection.send(
                error_frame(request.get("id"), METHOD_NOT_FOUND, f"Method not found: {method}")
            )
        return False

    async def _subscribe(self, connection: Connection, request: dict[str, Any], received: Instant) -> bool:
        request_id = request.get("id")
        if not connection.subscribed_before:
            connection.subscribed_before = True
            self.subscribe_requests.append(request)
        if self._refuse_subscription:
            await connection.send(error_frame(request_id, REFUSED, SUBSCRIPTION_REFUSED))
            return False
        params = request.get("params")
        kind = params[0] if isinstance(params, list) and params else None
        if not isinstance(kind, str) or kind not in SUBSCRIPTION_KINDS:
            text = f"params[0] must be one of {', '.join(SUBSCRIPTION_KINDS)}, got {kind!r}"
            await connection.send(error_frame(request_id, INVALID_PARAMS, text))
            return False
        subscription, new = self._hub.subscribe(connection, kind)
        await connection.send(result_frame(request_id, subscription))
        flags = params[2:] if isinstance(params, list) else []
        guaranteed = kind == "quote_status" and flags[:1] == [True]
        if guaranteed and connection.instance_id is not None:
            connection.guaranteed = True
            for data in self._queues.subscribe(connection.instance_id):
                if await connection.send(event_frame(subscription, data)):
                    self._journal.add_status(SentStatus("replay", data, received, 1, None))
        return new and kind == "quote"

    async def _respond(self, connection: Connection, request: dict[str, Any], received: Instant) -> None:
        request_id = request.get("id")
        verdict = judge_response(
            request.get("params"), book=self._book, at=received, contract=self._contract()
        )
        if isinstance(verdict, Bid):
            self._book.accept(verdict)
            answer, text = result_frame(request_id, OK), OK
        else:
            answer, text = error_frame(request_id, verdict.code, verdict.message), verdict.message
        answered = self.answer_responses
        record = ReceivedResponse(
            connection.connection_id,
            request_id,
            verdict.quote_id,
            received,
            request,
            text,
            verdict.quote_hash,
            answered,
        )
        self._journal.add_response(record)
        if answered:
            await connection.send(answer)
