"""A topic's versions in the registry: a subject per major version, each with the topic's rule.

Redpanda has no compatibilityGroup (docs/operations.md), so version N >= 2 of a topic is registered
under `<topic>.v<N>-value` beside version 1's `<topic>-value`; a stage writing a version looks that
version's id up, and the new version's subject starts a compatibility line of its own.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from support.generated import build_environment, generated_package, walkthrough_tree

from doran.devkit.schema_registry import FakeRegistry
from doran.publish import publish
from doran.publish.publication import contract_sources
from doran.schema_source.registry import value_subject

SUBJECTS = ("norm.swap_demand-value", "norm.swap_demand.v2-value")


def _publish(build: Path, url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "doran.cli", "schemas", "publish", "--registry", url, *extra]
    return subprocess.run(command, env=build_environment(build), capture_output=True, text=True, check=False)


def test_each_version_has_a_subject_of_its_own() -> None:
    assert [value_subject("norm.swap_demand", v) for v in (1, 2)] == list(SUBJECTS)
    # This build's topics have one version each: one subject per topic, as before versions.
    assert [s.subject for s in contract_sources()] == [value_subject(s.topic) for s in contract_sources()]


def test_a_new_version_is_published_beside_the_old_one(
    tmp_path: Path, registry: FakeRegistry, registry_url: str
) -> None:
    assert publish(registry_url, out=io.StringIO(), err=io.StringIO()) == 0  # today's build
    old_id = registry.subjects[SUBJECTS[0]][-1].schema_id
    build = walkthrough_tree(tmp_path)
    generated_package(build)
    published = _publish(build, registry_url)
    assert published.returncode == 0, published.stderr
    assert (
        f"registered {SUBJECTS[1]}" in published.stdout
        and f"registered {SUBJECTS[0]}" not in published.stdout
    )
    assert len(registry.subjects[SUBJECTS[0]]) == 1 and registry.subjects[SUBJECTS[0]][-1].schema_id == old_id
    assert registry.configs[SUBJECTS[1]] == "FULL"
    version_2 = json.loads(registry.subjects[SUBJECTS[1]][-1].schema)
    assert version_2["properties"]["schema_version"]["const"] == 2
    again = _publish(build, registry_url)
    assert again.returncode == 0 and "already up to date" in again.stdout
