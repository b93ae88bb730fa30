"""The walkthrough of docs/breaking-changes.md, run on the broker with real stage processes.

Today's build writes and reads norm.swap_demand version 1. The new build (the repository's schemas
plus version 2 of norm.swap_demand and its migration, rendered by the real codegen) runs as
`doran stage` processes whose contracts package comes first on their path; before it runs, its
schemas are published (`doran schemas publish`, as the deploy's job does), which adds version 2's
subject. Consumers roll first, while today's producer runs; then the new build's producer, still
pinned to version 1; then the pin goes and it writes version 2. Nothing is dead-lettered, nothing is
lost, counts reconcile, and each record names the schema of its version in its Confluent prefix.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Producer
from support.generated import build_environment, generated_package, walkthrough_tree
from support.waiting import wait_until

from doran.broker import TopicReader
from doran.contracts import CMD_EXECUTE_TRADE, DEAD_LETTER_TOPIC, NORM_SWAP_DEMAND, RAW_NEAR_INTENTS_QUOTE
from doran.devkit.embedded_broker import EMBEDDED_BROKER_SETTINGS, settings_environment
from doran.devkit.schema_registry import FakeRegistry, published_registry, running_registry
from doran.devkit.stage_processes import StageProcesses

pytestmark = pytest.mark.integration

EXAMPLE = json.loads(
    (
        Path(__file__).resolve().parents[2] / "schemas/examples/raw.near_intents.quote/valid/exact_in.json"
    ).read_text()
)["message"]
BATCH = 12


def _quotes(batch: int) -> list[bytes]:
    quotes = []
    for i in range(batch * BATCH, (batch + 1) * BATCH):
        message = {
            **EXAMPLE["payload"]["message"],
            "quote_id": f"roll-{i:04d}",
            "exact_amount_in": str(10**24 + i),
        }
        event = {**EXAMPLE, "event_id": f"nearq-{i:032x}", "payload": {"message": message}, "raw": message}
        quotes.append(json.dumps(event).encode())
    return quotes


def _send(address: str, batch: int) -> None:
    producer = Producer({"bootstrap.servers": address})
    for value in _quotes(batch):
        producer.produce(RAW_NEAR_INTENTS_QUOTE.name, value)
    producer.flush()


class _Rollout:
    """The stage processes of the rollout, and the counts of those already stopped."""

    def __init__(self, stages: StageProcesses, address: str) -> None:
        self.stages = stages
        self.address = address
        self.final: dict[str, dict[str, Any]] = {}

    def counts(self, stage: str, key: str) -> int:
        live = {label: c for label, c in self.stages.counts().items() if label not in self.final}
        return sum(
            int(c.get(key, 0)) for label, c in {**live, **self.final}.items() if label.startswith(stage)
        )

    def replace(self, old: str, new: str, stage: str, own: dict[str, str]) -> None:
        self.final[old] = self.stages.started[old].counts()
        self.stages.stop(old)
        self.stages.start(new, stage, own)

    def step(self, batch: int) -> None:
        """Send a batch once every running stage is ready; wait until both have handled all so far."""
        running = [p for label, p in self.stages.started.items() if label not in self.final]
        wait_until(
            lambda: all(p.ready() for p in running) or any(p.exited for p in running), "ready stages", 120
        )
        assert not [p.label for p in running if p.exited], "a stage of the rollout exited (see its log)"
        _send(self.address, batch)
        done = (batch + 1) * BATCH
        wait_until(
            lambda: (
                self.counts("normalize", "consumed") >= done and self.counts("decide", "consumed") >= done
            ),
            f"batch {batch} through normalize and decide",
            120,
        )


def test_a_breaking_change_rolls_out_without_a_flag_day(fresh_broker: str, tmp_path: Path) -> None:
    tree = walkthrough_tree(tmp_path / "new-build")
    generated_package(tree)
    new_build = {"PYTHONPATH": build_environment(tree)["PYTHONPATH"]}
    pinned = {**new_build, "DORAN_PRODUCE_VERSIONS": json.dumps({NORM_SWAP_DEMAND.name: 1})}
    registry = FakeRegistry()
    with running_registry(registry) as registry_url, published_registry(registry_url):
        environment = {
            **os.environ,
            **settings_environment(EMBEDDED_BROKER_SETTINGS),
            "DORAN_BROKER_ADDRESS": fresh_broker,
            "DORAN_REGISTRY_URL": registry_url,
            "DORAN_CONSUMER_GROUP_PREFIX": f"rollout-{uuid.uuid4().hex[:8]}",
        }
        rollout = _roll_out(environment, new_build, pinned, fresh_broker, tmp_path)
        subjects = sorted(registry.subjects)
    _reconcile(fresh_broker, rollout)
    assert "norm.swap_demand.v2-value" in subjects and "norm.swap_demand-value" in subjects


def _roll_out(
    environment: dict[str, str],
    new_build: dict[str, str],
    pinned: dict[str, str],
    address: str,
    tmp_path: Path,
) -> _Rollout:
    with StageProcesses(environment, tmp_path / "logs") as stages:
        rollout = _Rollout(stages, address)
        # Today: both stages of the old build, version 1 only.
        stages.start("normalize-old", "normalize")
        stages.start("decide-old", "decide")
        rollout.step(0)
        # The deploy publishes the new build's schemas: version 2 gets a subject of its own.
        publishing = [sys.executable, "-m", "doran.cli", "schemas", "publish", "--registry"]
        subprocess.run(
            [*publishing, environment["DORAN_REGISTRY_URL"]], env={**environment, **new_build}, check=True
        )
        # Consumers first: the new build's decide reads versions 1 and 2; the old normalize runs on.
        rollout.replace("decide-old", "decide-new", "decide", new_build)
        rollout.step(1)
        # The new build everywhere, its producer pinned to the version every consumer reads.
        rollout.replace("normalize-old", "normalize-pinned", "normalize", pinned)
        rollout.step(2)
        # Producers second: the pin goes, normalize writes version 2.
        rollout.replace("normalize-pinned", "normalize-new", "normalize", new_build)
        rollout.step(3)
        rollout.final |= {label: stages.started[label].counts() for label in ("normalize-new", "decide-new")}
    return rollout


def _reconcile(address: str, rollout: _Rollout) -> None:
    with TopicReader(address, timeout_s=30) as reader:
        framed = [r.unframed() for r in reader.read_all([NORM_SWAP_DEMAND.name])]
        demands = [json.loads(f.data) for f in framed]
        commands = [json.loads(r.unframed().data) for r in reader.read_all([CMD_EXECUTE_TRADE.name])]
        letters = list(reader.read_all([DEAD_LETTER_TOPIC.name]))
    # Each version's records name its own schema: the registry id of its subject, in the prefix.
    schema_ids = {(d["schema_version"], f.schema) for d, f in zip(demands, framed, strict=True)}
    sent = {f"roll-{i:04d}" for i in range(4 * BATCH)}
    assert letters == [], "nothing is dead-lettered"
    # Every quote became a demand and a command: nothing lost. Stages deliver at least once, and a
    # record handled again is the very same record (same event_id), so the reconciliation is by id.
    by_version = {v: {d["payload"]["quote_id"] for d in demands if d["schema_version"] == v} for v in (1, 2)}
    assert by_version[1] | by_version[2] == sent and not by_version[1] & by_version[2]
    assert by_version[2] == {f"roll-{i:04d}" for i in range(3 * BATCH, 4 * BATCH)}, "version 2 came last"
    assert {c["payload"]["quote_id"] for c in commands} == sent
    assert len({c["event_id"] for c in commands}) == len(sent)
    assert len(schema_ids) == 2 and len({schema for _, schema in schema_ids}) == 2
    # Each stage's counts add up: what it consumed it produced (nothing declined, nothing dead).
    for label, counted in rollout.final.items():
        assert counted["consumed"] == counted["produced"] + sum(counted["declined"].values()), label
        assert counted["dead_lettered"] == {} and counted["declined"] == {}, label
    assert sum(c["consumed"] for label, c in rollout.final.items() if label.startswith("decide")) >= len(sent)
