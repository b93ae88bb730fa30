"""The broker stops while ingest, normalize and decide run, then comes back. Meanwhile each stage either
exits with one line for a restart, or stays up alive and unready; once the broker is back, each is ready
again or exits with one line; restarted as Kubernetes would, the pipeline works again end to end. No
stage hangs, crashes natively or leaves a traceback.

What this shows on tansu: normalize and decide exit as soon as a commit of their checkpoint finds no
broker (Quix Streams does not keep a checkpoint it cannot commit; what they consumed since their last
commit is consumed again); ingest stays up unready, keeping the quotes that come in its producer's queue,
and exits when the broker comes back without its topics. tansu's memory storage comes back empty (no
topics, offsets or producer state), so everything on the topics before the stop is gone: that loss is
tansu's. Redpanda keeps topics, offsets and producer ids across a restart: ingest delivers its queue when
the broker returns, and the restarted stages resume at their committed offsets; this machine cannot run
Redpanda to show it (docs/operations.md, "Failure modes").
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.faults import CHANGE_S, READY_S, exited_with_one_line, lifecycle_events, stage_environment

from doran.contracts import CMD_EXECUTE_TRADE
from doran.devkit.embedded_broker import EmbeddedBroker
from doran.devkit.relay_simulator import SimulatorThread
from doran.devkit.stage_processes import StageProcess, StageProcesses
from doran.devkit.traffic import QuoteStream, TopicWatch, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]

STAGES = ("ingest", "normalize", "decide")


def settled(stages: dict[str, StageProcess], ready: int) -> dict[str, str]:
    """What each stage is, once every one has exited or answers /readyz with `ready` while alive (200 on
    /healthz): "exited" or "up"; empty while some stage is neither."""
    seen = {}
    for label, stage in stages.items():
        if stage.exited:
            seen[label] = "exited"
        elif (stage.status("/healthz"), stage.status("/readyz")) == (200, ready):
            seen[label] = "up"
        else:
            return {}
    return seen


def test_each_stage_is_unready_or_exits_while_the_broker_is_away_and_the_pipeline_recovers(
    restartable_broker: EmbeddedBroker, tmp_path: Path
) -> None:
    broker = restartable_broker
    with SimulatorThread() as relay:
        environment = stage_environment(broker.address, relay.url, tmp_path)
        with StageProcesses(environment, tmp_path / "logs") as processes:
            stages = {label: processes.start(label, label) for label in STAGES}
            processes.wait_until_ready(READY_S)
            with QuoteStream(relay, rate_per_s=10):
                with TopicWatch(broker.address, CMD_EXECUTE_TRADE.name, from_start=True) as commands:
                    wait_until(lambda: commands.count() >= 10, CHANGE_S, "commands before the broker stops")

                broker.stop()
                away = wait_until(lambda: settled(stages, ready=503), CHANGE_S, "each exited or unready")
                assert away["ingest"] == "up", "ingest keeps the relay's quotes while the broker is away"
                for label, state in away.items():
                    if state == "exited":
                        exited_with_one_line(stages[label])

                broker.start()  # empty: tansu's memory storage lost every topic
                back = wait_until(lambda: settled(stages, ready=200), CHANGE_S, "each stage exited or ready")
                assert back == dict.fromkeys(STAGES, "exited"), "on tansu every topic is gone: each exits"
                assert "gone from the broker" in exited_with_one_line(stages["ingest"])
                for label, stage in stages.items():
                    exited_with_one_line(stage)
                    assert lifecycle_events(stage)[-1] == "failed", label
                # A stage that exits at its first commit without a broker may not live to log the loss;
                # ingest, up throughout, logs it.
                assert {"broker_lost", "unready", "broker_back"} <= set(lifecycle_events(stages["ingest"]))

                # Kubernetes restarts them: they create their topics again and the quotes flow through.
                stages = {label: processes.start(label, label) for label in STAGES}
                processes.wait_until_ready(READY_S)
                with TopicWatch(broker.address, CMD_EXECUTE_TRADE.name, from_start=True) as commands:
                    wait_until(lambda: commands.count() >= 10, CHANGE_S, "commands after the restart")
