"""The real ingest client (doran.relay.RelayClient) against the simulator: scripted mode streams a fixed
list of frames once across a dropped connection; live mode delivers published quotes and settlements."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from contextlib import aclosing
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from websockets.asyncio.client import connect

from doran.devkit.recording import read_recording
from doran.devkit.relay_simulator import SIMULATED_SUBSCRIPTION_ID, RelaySimulator, SimulatorThread
from doran.nep413 import SigningKey
from doran.relay import Backoff, Notification, ReceivedFrame, RelayClient, ResultAnswer, parse_frame

SAMPLE = Path(__file__).resolve().parents[3] / "samples" / "relay-quotes.jsonl"
TOKEN = "s3cr3t-jwt-value"
TIMEOUT_S = 30.0


class _NoSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        await asyncio.sleep(0)


def _frames(count: int) -> list[str]:
    return [
        json.dumps(
            {
                "jsonrpc": "2.0",
                "method": "event",
                "params": {"subscription": SIMULATED_SUBSCRIPTION_ID, "data": {"quote_id": f"q-{n}"}},
            }
        )
        for n in range(count)
    ]


async def _collect(client: RelayClient, notifications_wanted: int) -> list[ReceivedFrame]:
    received: list[ReceivedFrame] = []
    async with aclosing(client.frames()) as frames:
        async for frame in frames:
            received.append(frame)
            if sum(isinstance(parse_frame(f.text), Notification) for f in received) == notifications_wanted:
                break
    return received


def test_scripted_frames_stream_once_in_order_across_a_dropped_connection() -> None:
    frames = _frames(10)
    relay = RelaySimulator(frames, token=TOKEN, drop_after=4)
    sleeps = _NoSleep()

    async def scenario() -> list[ReceivedFrame]:
        async with relay:
            backoff = Backoff(base_s=0.25, jitter=0.0)
            client = RelayClient(relay.url, api_key=SecretStr(TOKEN), backoff=backoff, sleep=sleeps)
            return await asyncio.wait_for(_collect(client, 10), TIMEOUT_S)

    received = asyncio.run(scenario())

    parsed = [parse_frame(frame.text) for frame in received]
    assert [f.text for f, p in zip(received, parsed, strict=True) if isinstance(p, Notification)] == frames
    assert [p for p in parsed if isinstance(p, ResultAnswer) and p.request_id == 1] == [
        ResultAnswer(1, SIMULATED_SUBSCRIPTION_ID)
    ] * 2
    assert sleeps.delays == [0.25]
    assert relay.frames_sent == 10
    assert relay.authorizations == [f"Bearer {TOKEN}"] * 2
    subscribe = {"jsonrpc": "2.0", "id": 1, "method": "subscribe", "params": ["quote"]}
    assert relay.subscribe_requests == [subscribe] * 2  # each connection's first subscribe request
    assert relay.summary().raw_frames_sent == 10


def test_no_scripted_frame_is_lost_when_a_busy_client_is_dropped() -> None:
    """The drop waits until the client's kernel holds every frame counted as sent: aborting earlier loses
    frames still unacknowledged on the simulator's side, often tens of them with a busy client."""
    recording = read_recording(SAMPLE)
    recorded_id = json.loads(recording[0])["result"]
    frames = [line.decode().replace(recorded_id, SIMULATED_SUBSCRIPTION_ID) for line in recording[1:200]]

    async def consume(url: str) -> list[str | bytes]:
        client = RelayClient(url, backoff=Backoff(base_s=0.01, cap_s=0.05))
        received: list[str | bytes] = []
        async with aclosing(client.frames()) as stream:
            async for frame in stream:
                if not isinstance(parse_frame(frame.text), ResultAnswer):
                    received.append(frame.text)
                busy_until = time.perf_counter() + 0.002
                while time.perf_counter() < busy_until:  # CPU-bound work between frames, as ingest does
                    pass
                if len(received) == len(frames):
                    return received
        return received

    for _ in range(3):
        with SimulatorThread(RelaySimulator(frames, drop_after=70)) as relay:
            received = asyncio.run(asyncio.wait_for(consume(relay.url), TIMEOUT_S))
            assert received == frames
            assert len(relay.connections()) == 2


def test_live_quotes_and_settlements_reach_the_ingest_client(
    solver_key: SigningKey,
    salt: bytes,
    make_quote: Callable[..., dict[str, Any]],
    make_response: Callable[..., dict[str, Any]],
) -> None:
    simulator = RelaySimulator(
        token=TOKEN,
        solver_keys={"solver.near": [solver_key.public_key]},
        valid_salts=[salt],
        settles=lambda _: True,
        settle_delay_s=0.0,
    )
    quote = make_quote("q-1", max_wait_ms=200)

    async def scenario() -> list[ReceivedFrame]:
        async with simulator:
            client = RelayClient(simulator.url, api_key=SecretStr(TOKEN))
            received: list[ReceivedFrame] = []
            async with aclosing(client.frames()) as frames:
                async for frame in frames:
                    received.append(frame)
                    if client.connected and not simulator.events():
                        await simulator.publish_quote(quote)
                        async with connect(
                            simulator.url, additional_headers={"Authorization": f"Bearer {TOKEN}"}
                        ) as ex:
                            await ex.send(json.dumps(make_response(quote, 1992)))
                            assert json.loads(await ex.recv())["result"] == "OK"
                    if sum(isinstance(parse_frame(f.text), Notification) for f in received) == 2:
                        return received
            return received

    received = asyncio.run(asyncio.wait_for(scenario(), TIMEOUT_S))

    parsed = [parse_frame(frame.text) for frame in received]
    acks = {p.request_id: p.result for p in parsed if isinstance(p, ResultAnswer)}
    notes = [p for p in parsed if isinstance(p, Notification)]
    assert [n.subscription for n in notes] == [acks[1], acks[2]]  # quote, then quote_status
    assert acks[1] != acks[2]
    assert notes[0].data == quote
    assert notes[1].data == simulator.statuses()[0].data


def test_async_wait_for_wakes_on_a_recorded_change(make_quote: Callable[..., dict[str, Any]]) -> None:
    async def scenario() -> int:
        async with RelaySimulator() as simulator:
            waiting = asyncio.ensure_future(simulator.wait_for(lambda: len(simulator.events()), TIMEOUT_S))
            await asyncio.sleep(0)
            await simulator.publish_quote(make_quote())
            return await waiting

    assert asyncio.run(scenario()) == 1


def test_the_thread_wrapper_serves_the_scripted_mode_too() -> None:
    with SimulatorThread(RelaySimulator(_frames(3))) as relay:

        async def scenario() -> list[ReceivedFrame]:
            return await _collect(RelayClient(relay.url), 3)

        received = asyncio.run(asyncio.wait_for(scenario(), TIMEOUT_S))
        relay.wait_for(lambda: relay.summary().raw_frames_sent == 3, TIMEOUT_S)
    assert sum(isinstance(parse_frame(f.text), Notification) for f in received) == 3


def _status(n: int) -> dict[str, str]:
    return {"quote_hash": f"hash-{n}", "intent_hash": f"intent-{n}", "tx_hash": f"tx-{n}"}


@pytest.mark.parametrize("instance_id", [None, "ingest-1"])
def test_statuses_sent_while_the_client_is_away_are_replayed_only_with_guaranteed_delivery(
    instance_id: str | None,
) -> None:
    relay = RelaySimulator()

    async def scenario() -> list[Any]:
        async with relay:
            backoff = Backoff(base_s=0.25, jitter=0.0)
            client = RelayClient(relay.url, instance_id=instance_id, backoff=backoff, poll_interval_s=0.05)
            statuses: list[Any] = []

            async def listen() -> None:
                async with aclosing(client.frames()) as frames:
                    async for frame in frames:
                        parsed = parse_frame(frame.text)
                        if isinstance(parsed, Notification) and "quote_hash" in parsed.data:
                            statuses.append(parsed.data["quote_hash"])

            listening = asyncio.ensure_future(listen())
            await relay.wait_for(lambda: client.connected, TIMEOUT_S)
            await relay.send_status(_status(1))
            await relay.wait_for(lambda: len(statuses) == 1, TIMEOUT_S)
            assert relay.drop_connections() == 1
            for n in (2, 3):  # the client is reconnecting: only a queue can keep these
                await relay.send_status(_status(n))
            await relay.wait_for(lambda: client.connections == 2 and client.connected, TIMEOUT_S)
            await relay.send_status(_status(4))
            await relay.wait_for(lambda: "hash-4" in statuses, TIMEOUT_S)
            listening.cancel()
            return statuses

    received = asyncio.run(asyncio.wait_for(scenario(), TIMEOUT_S))
    if instance_id is None:
        assert received == ["hash-1", "hash-4"]  # what the relay sent while it was away is lost
    else:
        assert received == ["hash-1", "hash-2", "hash-3", "hash-4"]
        assert [s.kind for s in relay.statuses()] == ["manual"] * 3 + ["replay"] * 2 + ["manual"]
        assert relay.status_queues.held(instance_id) == 0
