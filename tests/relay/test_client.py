"""The real relay client against the local relay simulator: subscribe, stream, reconnect, auth."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from contextlib import aclosing

import pytest
from pydantic import SecretStr

from doran.devkit.relay_simulator import SIMULATED_SUBSCRIPTION_ID, RelaySimulator
from doran.relay import (
    Backoff,
    Notification,
    ReceivedFrame,
    RelayClient,
    RelayConfigError,
    RelayRejectedError,
    RelayUnavailableError,
    ResultAnswer,
    parse_frame,
)
from doran.relay._client import subscribe_params
from doran.relay._endpoint import with_instance_id

TOKEN = "s3cr3t-jwt-value"
NO_JITTER = Backoff(base_s=0.25, factor=2.0, cap_s=2.0, jitter=0.0)


def _quote_frames(count: int) -> list[str]:
    return [
        json.dumps(
            {
                "jsonrpc": "2.0",
                "method": "event",
                "params": {
                    "subscription": SIMULATED_SUBSCRIPTION_ID,
                    "data": {
                        "quote_id": f"q-{n}",
                        "defuse_asset_identifier_in": "nep141:wrap.near",
                        "defuse_asset_identifier_out": "nep141:usdt.tether-token.near",
                        "exact_amount_in": str(10**24 + n),
                        "min_deadline_ms": 60000,
                    },
                },
            }
        )
        for n in range(count)
    ]


class _Sleeps:
    """Records requested delays instead of waiting, so reconnect tests take no wall time."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        await asyncio.sleep(0)


async def _collect(client: RelayClient, quotes_wanted: int) -> list[ReceivedFrame]:
    received: list[ReceivedFrame] = []
    quotes = 0
    async with aclosing(client.frames()) as frames:
        async for frame in frames:
            received.append(frame)
            quotes += isinstance(parse_frame(frame.text), Notification)
            if quotes == quotes_wanted:
                break
    return received


def test_the_client_streams_every_frame_in_order_across_a_dropped_connection() -> None:
    frames = _quote_frames(10)
    relay = RelaySimulator(frames, token=TOKEN, drop_after=4)
    sleeps = _Sleeps()

    async def scenario() -> tuple[list[ReceivedFrame], RelayClient]:
        async with relay:
            client = RelayClient(relay.url, api_key=SecretStr(TOKEN), backoff=NO_JITTER, sleep=sleeps)
            return await _collect(client, quotes_wanted=10), client

    received, client = asyncio.run(scenario())

    classified = [parse_frame(frame.text) for frame in received]
    acks = [c for c in classified if isinstance(c, ResultAnswer) and c.request_id == 1]
    assert acks == [ResultAnswer(1, SIMULATED_SUBSCRIPTION_ID)] * 2
    assert [frame.text for frame in received if isinstance(parse_frame(frame.text), Notification)] == frames
    assert all(frame.observed_at is not None and frame.observed_at.tzinfo is not None for frame in received)
    assert client.connections == 2
    assert sleeps.delays == [0.25]
    assert relay.authorizations == [f"Bearer {TOKEN}"] * 2
    assert relay.extensions_offered == [None] * 2  # no permessage-deflate: no compression CPU per frame
    subscribe = {"jsonrpc": "2.0", "id": 1, "method": "subscribe", "params": ["quote"]}
    assert relay.subscribe_requests == [subscribe] * 2
    assert client.connected is False  # the stream ended


def test_a_wrong_api_key_is_refused_without_retrying() -> None:
    relay = RelaySimulator(_quote_frames(1), token=TOKEN)
    sleeps = _Sleeps()

    async def scenario() -> None:
        async with relay:
            client = RelayClient(relay.url, api_key=SecretStr("wrong"), sleep=sleeps)
            await _collect(client, quotes_wanted=1)

    with pytest.raises(RelayRejectedError, match="HTTP 401"):
        asyncio.run(scenario())
    assert sleeps.delays == []


def test_a_refused_subscription_is_an_error() -> None:
    relay = RelaySimulator(_quote_frames(1), refuse_subscription=True)

    async def scenario() -> None:
        async with relay:
            await _collect(RelayClient(relay.url, sleep=_Sleeps()), quotes_wanted=1)

    with pytest.raises(RelayRejectedError, match="subscription not allowed"):
        asyncio.run(scenario())


def test_an_unreachable_relay_backs_off_exponentially_then_gives_up() -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"ws://127.0.0.1:{closed.getsockname()[1]}/ws"
    sleeps = _Sleeps()
    client = RelayClient(url, backoff=NO_JITTER, max_reconnects=4, sleep=sleeps)

    with pytest.raises(RelayUnavailableError, match="after 4 reconnect attempts"):
        asyncio.run(_collect(client, quotes_wanted=1))
    assert sleeps.delays == [0.25, 0.5, 1.0, 2.0]


def test_jitter_comes_from_the_injected_random_source() -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"ws://127.0.0.1:{closed.getsockname()[1]}/ws"
    sleeps = _Sleeps()
    backoff = Backoff(base_s=1.0, cap_s=8.0, jitter=0.5)
    client = RelayClient(url, backoff=backoff, max_reconnects=2, sleep=sleeps, unit_random=lambda: 0.5)

    with pytest.raises(RelayUnavailableError):
        asyncio.run(_collect(client, quotes_wanted=1))
    assert sleeps.delays == [0.75, 1.5]


def test_a_stop_request_ends_the_stream_while_the_relay_is_quiet() -> None:
    relay = RelaySimulator([])
    stop = asyncio.Event()

    async def scenario() -> list[ReceivedFrame]:
        async with relay:
            client = RelayClient(relay.url, poll_interval_s=0.05)
            received = []
            async for frame in client.frames(stop.is_set):
                received.append(frame)
                stop.set()  # after the ack: the relay sends nothing more, the client must still return
            return received

    received = asyncio.run(scenario())
    assert parse_frame(received[0].text) == ResultAnswer(1, SIMULATED_SUBSCRIPTION_ID)


def test_the_api_key_never_reaches_a_log_record_or_repr(caplog: pytest.LogCaptureFixture) -> None:
    relay = RelaySimulator(_quote_frames(3), token=TOKEN, drop_after=1)
    caplog.set_level(logging.DEBUG)

    async def scenario() -> RelayClient:
        async with relay:
            client = RelayClient(relay.url, api_key=SecretStr(TOKEN), backoff=NO_JITTER, sleep=_Sleeps())
            await _collect(client, quotes_wanted=3)
            return client

    client = asyncio.run(scenario())
    assert any("Authorization" in record.getMessage() for record in caplog.records), "handshake was logged"
    assert all(TOKEN not in record.getMessage() for record in caplog.records)
    assert TOKEN not in repr(client)


def test_a_non_websocket_url_is_refused_up_front() -> None:
    with pytest.raises(RelayConfigError, match="ws:// or wss://"):
        RelayClient("https://solver-relay-v2.chaindefuser.com/rpc")


def test_guaranteed_delivery_puts_the_instance_on_the_url_and_the_flag_on_quote_status_only() -> None:
    url = "wss://solver-relay-v2.chaindefuser.com/ws?region=eu&instance_id=stale"
    assert (
        with_instance_id(url, "prod-1")
        == "wss://solver-relay-v2.chaindefuser.com/ws?region=eu&instance_id=prod-1"
    )
    assert with_instance_id(url, None) == url
    assert subscribe_params("quote_status", guaranteed=True) == ["quote_status", None, True]
    assert subscribe_params("quote", guaranteed=True) == ["quote"]
    assert subscribe_params("quote_status", guaranteed=False) == ["quote_status"]
    client = RelayClient("wss://relay.example/ws", instance_id="prod-1")
    assert client.url == "wss://relay.example/ws"  # the feed's name (the events' source) does not change
