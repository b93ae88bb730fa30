"""The relay goes away while ingest runs (its connection dropped, new handshakes refused for a while), then
comes back. Ingest is alive and unready meanwhile, reconnects by itself, and with the relay's guaranteed
delivery (DORAN_RELAY_INSTANCE_ID) every quote_status sent while it was away reaches
raw.near_intents.quote_status; without it, exactly those are lost, which is what issue 18 saw. A relay
that refuses ingest's token ends it with one line naming the setting, never the token.

The relay's guaranteed delivery is early access and its acknowledgement mechanism is unverified: the
simulator counts a status as delivered once written to an open subscribed connection of the instance
(doran.devkit.relay_simulator.guaranteed). A status the relay wrote just before a connection broke may
still be lost on the real relay; the settlement stage reconciles such quotes through the relay's
get_status (DORAN_SETTLEMENT_RECONCILE).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from support.faults import CHANGE_S, READY_S, exited_with_one_line, lifecycle_events, stage_environment
from support.registry import produced_event

from doran.contracts import RAW_NEAR_INTENTS_QUOTE_STATUS
from doran.devkit.embedded_broker import EmbeddedBroker
from doran.devkit.relay_simulator import RelaySimulator, SimulatorThread, status_data
from doran.devkit.stage_processes import StageProcesses
from doran.devkit.traffic import TopicWatch, wait_until
from doran.nep413.base58 import b58encode

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _hash(n: int) -> str:
    return b58encode(hashlib.sha256(f"fault-test-{n}".encode()).digest())


def _status(n: int) -> dict[str, str]:
    return status_data(_hash(n))


def _hashes(watch: TopicWatch) -> set[str]:
    events = (produced_event(RAW_NEAR_INTENTS_QUOTE_STATUS, a.value) for a in watch.arrivals())
    return {event.payload.message.quote_hash for event in events}


@pytest.mark.parametrize("instance_id", ["doran-ingest-test", None])
def test_quote_statuses_sent_while_the_relay_is_away_reach_the_bus_with_guaranteed_delivery(
    restartable_broker: EmbeddedBroker, tmp_path: Path, instance_id: str | None
) -> None:
    broker = restartable_broker
    settings = {} if instance_id is None else {"relay_instance_id": instance_id}
    with SimulatorThread() as relay:
        environment = stage_environment(broker.address, relay.url, tmp_path, **settings)
        with (
            StageProcesses(environment, tmp_path / "logs") as processes,
            TopicWatch(broker.address, RAW_NEAR_INTENTS_QUOTE_STATUS.name, from_start=True) as statuses,
        ):
            ingest = processes.start("ingest", "ingest")
            processes.wait_until_ready(READY_S)
            for n in range(3):
                relay.send_status(_status(n))
            wait_until(lambda: len(_hashes(statuses)) == 3, CHANGE_S, "statuses before the outage")

            relay.set_refuse_connections(True)
            assert relay.drop_connections() == 1
            for n in range(3, 8):  # while ingest cannot connect
                relay.send_status(_status(n))
            wait_until(
                lambda: (ingest.status("/healthz"), ingest.status("/readyz")) == (200, 503),
                CHANGE_S,
                "ingest alive and unready while the relay is away",
            )
            relay.set_refuse_connections(False)
            wait_until(ingest.ready, CHANGE_S, "ingest ready again")
            for n in range(8, 10):
                relay.send_status(_status(n))
            wait_until(lambda: {_hash(8), _hash(9)} <= _hashes(statuses), CHANGE_S, "statuses after it")

            every = {_hash(n) for n in range(10)}
            sent_while_away = {_hash(n) for n in range(3, 8)}
            if instance_id is None:
                assert _hashes(statuses) == every - sent_while_away
            else:
                wait_until(lambda: sent_while_away <= _hashes(statuses), CHANGE_S, "the held statuses")
                assert _hashes(statuses) == every
            events = lifecycle_events(ingest)
            assert events.count("relay_connected") == 2 and "relay_lost" in events, events
            assert events.index("relay_lost") < events.index("unready"), events


def test_a_relay_refusing_the_token_ends_ingest_with_one_line_naming_the_setting(
    restartable_broker: EmbeddedBroker, tmp_path: Path
) -> None:
    secret = "not-the-partner-jwt"
    with SimulatorThread(RelaySimulator(token="the-partner-jwt")) as relay:
        environment = stage_environment(restartable_broker.address, relay.url, tmp_path, relay_api_key=secret)
        with StageProcesses(environment, tmp_path / "logs") as processes:
            ingest = processes.start("ingest", "ingest")
            ingest.process.wait(CHANGE_S)
            last = exited_with_one_line(ingest)
    assert "HTTP 401: check DORAN_RELAY_API_KEY" in last
    assert lifecycle_events(ingest) == ["start", "failed"]
    assert secret not in ingest.log_path.read_text()
