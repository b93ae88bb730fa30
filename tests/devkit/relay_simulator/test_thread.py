"""SimulatorThread: lifecycle errors, runtime registration of a solver, dropping one given connection."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from doran.devkit.relay_simulator import RelaySimulator, SimulatorError, SimulatorNotRunning, SimulatorThread
from doran.nep413 import SigningKey

TIMEOUT_S = 30.0


def test_using_it_outside_its_block_is_a_specific_error(make_quote: Callable[..., dict[str, Any]]) -> None:
    relay = SimulatorThread()
    with pytest.raises(SimulatorNotRunning):
        _ = relay.url
    with pytest.raises(SimulatorNotRunning):
        relay.publish_quote(make_quote())
    with relay:
        assert relay.url.startswith("ws://127.0.0.1:")
    with pytest.raises(SimulatorNotRunning):
        relay.send_raw("x")
    with pytest.raises(SimulatorNotRunning, match="async context manager"):
        _ = RelaySimulator().url


def test_a_simulator_that_cannot_start_says_why() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with (
            pytest.raises(SimulatorError, match="failed to start"),
            SimulatorThread(RelaySimulator(port=port)),
        ):
            pass


def test_solvers_and_salts_can_be_registered_while_running(
    solver_key: SigningKey,
    salt: bytes,
    make_quote: Callable[..., dict[str, Any]],
    make_response: Callable[..., dict[str, Any]],
) -> None:
    with SimulatorThread() as relay, connect(relay.url) as executor:
        relay.publish_quote(make_quote("q-1"))
        executor.send(json.dumps(make_response(make_quote("q-1"), 1992)))
        refused = json.loads(executor.recv(timeout=TIMEOUT_S))
        relay.register_solver("solver.near", solver_key.public_key)
        relay.add_salt(salt)
        relay.publish_quote(make_quote("q-2"))
        executor.send(json.dumps(make_response(make_quote("q-2"), 1992)))
        accepted = json.loads(executor.recv(timeout=TIMEOUT_S))

    assert (
        refused["error"]["message"]
        == f"public key '{solver_key.public_key}' doesn't exist for account 'solver.near'"
    )
    assert accepted["result"] == "OK"
    assert relay.summary().accepted == 1


def test_one_given_connection_can_be_dropped() -> None:
    with SimulatorThread() as relay, connect(relay.url) as first, connect(relay.url) as second:
        relay.wait_for(lambda: len(relay.connections()) == 2, TIMEOUT_S)
        assert relay.drop_connection(relay.connections()[0].connection_id)
        assert not relay.drop_connection(999)
        with pytest.raises(ConnectionClosed):
            first.recv(timeout=TIMEOUT_S)
        second.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "subscribe", "params": ["quote"]}))
        assert "result" in json.loads(second.recv(timeout=TIMEOUT_S))
        relay.wait_for(lambda: [c.open for c in relay.connections()] == [False, True], TIMEOUT_S)
