"""A consuming stage restarted while quotes flow is back to work without waiting for its group to forget
its predecessor: a SIGKILLed static member (DORAN_GROUP_INSTANCE_ID) takes its partitions back under the
same name, and a SIGTERMed dynamic member leaves the group on its way out.

What tansu supports, and what needs Redpanda: tansu (0.6.0) knows static members and cooperative-sticky
assignment, but holds every JoinGroup for about half the session timeout, and a static member's for 3 s
more, so no restart on tansu can be back within the relay's auction window; these tests show the
mechanism (no wait for session.timeout.ms, measured against a 30 s session) and `make bench-restart`
reports the figures. Redpanda and Kafka answer a static member's rejoin at once, without a rebalance
(KIP-345): the auction-window test below runs against such a broker (DORAN_BROKER_ADDRESS) and is
skipped on tansu.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from confluent_kafka import ConsumerGroupState
from confluent_kafka.admin import AdminClient
from support.faults import CHANGE_S, READY_S, lifecycle_events, stage_environment

from doran.broker import create_topics
from doran.contracts import NORM_SWAP_DEMAND, TOPICS
from doran.devkit.embedded_broker import EMBEDDED_BROKER_SETTINGS, EmbeddedBroker
from doran.devkit.relay_simulator import SimulatorThread
from doran.devkit.stage_processes import StageProcesses
from doran.devkit.traffic import QuoteStream, TopicWatch, wait_until
from doran.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.slow]

#: Long enough to tell "waited for the session to expire" from "did not", even on tansu's slow joins.
SESSION_MS = 30_000
GROUP_PREFIX = "restart-test"


def _group_state(address: str, group: str) -> ConsumerGroupState:
    admin = AdminClient({"bootstrap.servers": address, "log_level": 0})
    return admin.describe_consumer_groups([group])[group].result(timeout=10).state


@pytest.mark.parametrize(
    ("membership", "stop"),
    [("static", signal.SIGKILL), ("dynamic", signal.SIGTERM)],
    ids=["static-member-killed", "dynamic-member-terminated"],
)
def test_a_restarted_stage_does_not_wait_for_its_predecessors_session_to_expire(
    restartable_broker: EmbeddedBroker, tmp_path: Path, membership: str, stop: signal.Signals
) -> None:
    broker = restartable_broker
    group = f"{GROUP_PREFIX}.normalize"
    own = {"DORAN_GROUP_INSTANCE_ID": "doran-normalize-0"} if membership == "static" else {}
    with SimulatorThread() as relay:
        environment = stage_environment(
            broker.address,
            relay.url,
            tmp_path,
            session_timeout_ms=SESSION_MS,
            max_poll_interval_ms=SESSION_MS,
            consumer_group_prefix=GROUP_PREFIX,
        )
        with StageProcesses(environment, tmp_path / "logs") as processes:
            processes.start("ingest", "ingest")
            normalize = processes.start("normalize", "normalize", own)
            processes.wait_until_ready(READY_S)
            with TopicWatch(broker.address, NORM_SWAP_DEMAND.name) as demands, QuoteStream(relay, 10):
                wait_until(lambda: demands.count() >= 5, CHANGE_S, "swap demands before the restart")
                signalled = time.monotonic()
                normalize.process.send_signal(stop)
                assert normalize.process.wait(CHANGE_S) == (0 if stop == signal.SIGTERM else -signal.SIGKILL)
                if stop == signal.SIGTERM:
                    # A clean shutdown: the last events logged, and a dynamic member has left its group.
                    assert lifecycle_events(normalize)[-2:] == ["stopping", "stopped"]
                    assert _group_state(broker.address, group) == ConsumerGroupState.EMPTY
                exited = time.monotonic()
                normalize = processes.start("normalize", "normalize", own)
                first = wait_until(lambda: demands.first_after(exited), CHANGE_S, "a swap demand after it")
    assert first - signalled < SESSION_MS / 1000, (
        f"the restarted {membership} member waited {first - signalled:.1f} s, past the "
        f"{SESSION_MS / 1000:g} s session of its predecessor"
    )


@pytest.mark.skipif(
    not os.environ.get("DORAN_BROKER_ADDRESS"),
    reason="needs a broker that answers a static member's rejoin at once (Redpanda, Kafka; KIP-345): set "
    "DORAN_BROKER_ADDRESS. tansu holds every JoinGroup for half the session timeout (measured: make "
    "bench-restart)",
)
def test_a_killed_static_member_is_back_within_the_auction_window_on_redpanda(tmp_path: Path) -> None:
    address = os.environ["DORAN_BROKER_ADDRESS"]
    create_topics(address, TOPICS.values())
    prefix = f"{GROUP_PREFIX}-{int(time.time())}"
    production = {name: Settings.model_fields[name].default for name in EMBEDDED_BROKER_SETTINGS}
    window_s = Settings().relay_auction_window_ms / 1000
    own = {"DORAN_GROUP_INSTANCE_ID": "doran-normalize-0"}
    with SimulatorThread() as relay:
        environment = stage_environment(
            address, relay.url, tmp_path, consumer_group_prefix=prefix, **production
        )
        with StageProcesses(environment, tmp_path / "logs") as processes:
            processes.start("ingest", "ingest")
            normalize = processes.start("normalize", "normalize", own)
            processes.wait_until_ready(READY_S)
            with TopicWatch(address, NORM_SWAP_DEMAND.name) as demands, QuoteStream(relay, 10):
                wait_until(lambda: demands.count() >= 5, CHANGE_S, "swap demands before the restart")
                signalled = time.monotonic()
                normalize.process.kill()
                normalize.process.wait(CHANGE_S)
                exited = time.monotonic()
                processes.start("normalize", "normalize", own)
                first = wait_until(lambda: demands.first_after(exited), CHANGE_S, "a swap demand after it")
    back_s = first - signalled
    assert back_s < window_s, f"back after {back_s:.2f} s; the auction window is {window_s:g} s"
