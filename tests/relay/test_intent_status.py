"""The relay's get_status over real HTTP on 127.0.0.1, against the simulator's /rpc: answers from what it
settled, its token, its outages, and an asker that never makes its caller wait."""

from __future__ import annotations

import time

import pytest
from pydantic import SecretStr

from doran.devkit.relay_simulator import RelaySimulator, SimulatorThread, status_data
from doran.relay.errors import RelayConfigError, RelayRejectedError, RelayUnavailableError
from doran.relay.intent_status import IntentState, IntentStatusAsker, IntentStatusClient, rpc_url

SENT, DROPPED, NEVER = ("1" * 43, "2" * 43, "3" * 43)


def test_the_rpc_url_sits_beside_the_websocket() -> None:
    assert (
        rpc_url("wss://solver-relay-v2.chaindefuser.com/ws") == "https://solver-relay-v2.chaindefuser.com/rpc"
    )
    assert rpc_url("ws://127.0.0.1:4000/ws?instance_id=a") == "http://127.0.0.1:4000/rpc"
    with pytest.raises(RelayConfigError, match="DORAN_RELAY_RPC_URL"):
        rpc_url("solver-relay")


def test_get_status_answers_what_the_relay_settled_whether_its_status_was_sent_or_lost() -> None:
    with SimulatorThread() as relay:
        relay.send_status(status_data(SENT))
        relay.drop_status(status_data(DROPPED))
        with IntentStatusClient(relay.rpc_url, timeout_s=10) as client:
            sent, dropped, never = (client.get_status(h) for h in (SENT, DROPPED, NEVER))

    assert (sent.state, sent.tx_hash) == (IntentState.SETTLED, status_data(SENT)["tx_hash"])
    assert (dropped.state, dropped.tx_hash) == (IntentState.SETTLED, status_data(DROPPED)["tx_hash"])
    assert (never.state, never.tx_hash) == (IntentState.NOT_FOUND_OR_NOT_VALID, None)
    assert never.answer == {"intent_hash": NEVER, "status": "NOT_FOUND_OR_NOT_VALID"}


def test_a_wrong_token_an_outage_and_no_server_are_errors_that_name_the_cause() -> None:
    with SimulatorThread(RelaySimulator(token="the-partner-jwt")) as relay:
        url = relay.rpc_url
        with (
            IntentStatusClient(url, api_key=SecretStr("not-it"), timeout_s=10) as client,
            pytest.raises(RelayRejectedError, match="DORAN_RELAY_API_KEY") as rejected,
        ):
            client.get_status(SENT)
        assert "not-it" not in str(rejected.value)
        relay.set_refuse_rpc(True)
        with (
            IntentStatusClient(url, api_key=SecretStr("the-partner-jwt"), timeout_s=10) as client,
            pytest.raises(RelayUnavailableError, match="HTTP 503"),
        ):
            client.get_status(SENT)
    with (
        IntentStatusClient(url, timeout_s=10) as client,
        pytest.raises(RelayUnavailableError, match="unreachable"),
    ):
        client.get_status(SENT)


def test_the_asker_returns_at_once_and_hands_over_each_answer_or_its_error() -> None:
    with SimulatorThread() as relay:
        relay.drop_status(status_data(DROPPED))
        with IntentStatusAsker(IntentStatusClient(relay.rpc_url, timeout_s=10), workers=2) as asker:
            for quote_hash in (DROPPED, NEVER):
                asker.ask(quote_hash)
            found: dict[str, object] = {}
            deadline = time.monotonic() + 30
            while len(found) < 2 and time.monotonic() < deadline:
                found.update(asker.answers())
                time.sleep(0.02)
            relay.set_refuse_rpc(True)
            asker.ask(SENT)
            while SENT not in found and time.monotonic() < deadline:
                found.update(asker.answers())
                time.sleep(0.02)

    states = {h: getattr(answer, "state", type(answer).__name__) for h, answer in found.items()}
    assert states == {
        DROPPED: IntentState.SETTLED,
        NEVER: IntentState.NOT_FOUND_OR_NOT_VALID,
        SENT: "RelayUnavailableError",
    }
