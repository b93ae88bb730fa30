"""A topic's versions in topics.json: counted up one by one, each earlier one with a migration file of
the right shape; what is wrong is named by file and pointer."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support.generated import DEMAND_MIGRATION, walkthrough_tree

from doran.errors import SchemaSourceError
from doran.schema_source.schema_set import bundle_name, load_schema_set


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return walkthrough_tree(tmp_path)


def _demand(tree: Path, change: Callable[[dict[str, Any]], None]) -> None:
    registry = json.loads((tree / "topics.json").read_text())
    change(next(t for t in registry["topics"] if t["name"] == "norm.swap_demand"))
    (tree / "topics.json").write_text(json.dumps(registry))


def test_a_versioned_topic_loads_with_its_migration(tree: Path) -> None:
    schemas = load_schema_set(tree)
    demand = schemas.topic("norm.swap_demand")
    assert demand.versions == (1, 2)
    assert schemas.payload("norm.swap_demand").path == "payloads/norm.swap_demand.v2.schema.json"
    assert schemas.payload("norm.swap_demand", 1).path == "payloads/norm.swap_demand.schema.json"
    migration = schemas.migrations[("norm.swap_demand", 1)]
    assert migration.upgrade.operations == () and migration.downgrade is not None
    v1, v2 = schemas.bundle("norm.swap_demand", 1), schemas.bundle("norm.swap_demand")
    assert (
        v1["properties"]["schema_version"]["const"] == 1 and v2["properties"]["schema_version"]["const"] == 2
    )
    assert v1["$id"].endswith("/topics/" + bundle_name("norm.swap_demand", 1))
    assert v2["$id"].endswith("/topics/norm.swap_demand.v2.schema.json")


def test_earlier_versions_count_up_to_the_newest(tree: Path) -> None:
    _demand(tree, lambda t: t.update(schema_version=3))
    with pytest.raises(
        SchemaSourceError, match=r"earlier versions must be \[2\] in this order .* not \[1\]"
    ) as info:
        load_schema_set(tree)
    assert (info.value.file, info.value.pointer) == ("topics.json", "/topics/2/earlier_versions")


def test_an_earlier_version_has_a_schema_of_its_own(tree: Path) -> None:
    _demand(tree, lambda t: t["earlier_versions"][0].update(payload_schema=t["payload_schema"]))
    with pytest.raises(SchemaSourceError, match="already uses"):
        load_schema_set(tree)


def test_a_missing_migration_file_is_named(tree: Path) -> None:
    (tree / DEMAND_MIGRATION).unlink()
    with pytest.raises(SchemaSourceError, match="does not exist") as info:
        load_schema_set(tree)
    assert info.value.pointer == "/topics/2/earlier_versions/0/migration"


def test_a_migration_of_the_wrong_shape_is_named(tree: Path) -> None:
    migration = {"description": "x", "upgrade": [{"op": "rename", "path": "/a"}]}
    (tree / DEMAND_MIGRATION).write_text(json.dumps(migration))
    with pytest.raises(SchemaSourceError) as info:
        load_schema_set(tree)
    assert (info.value.file, info.value.pointer) == (DEMAND_MIGRATION, "/upgrade/0")


def test_a_registry_from_before_versions_reads_as_version_one(tmp_path: Path) -> None:
    registry = json.loads((Path(__file__).parents[2] / "schemas/topics.json").read_text())
    old = {**registry, "schema_version": 1}  # the build-wide field registries had then
    schema = json.loads((Path(__file__).parents[2] / "schemas/topics.schema.json").read_text())
    schema["properties"]["schema_version"] = {"type": "integer"}
    from doran.schema_source.registry import parse_topic_registry

    parsed = parse_topic_registry(json.dumps(old).encode(), json.dumps(schema).encode())
    assert {t.schema_version for t in parsed.topics} == {1} and all(
        not t.earlier_versions for t in parsed.topics
    )
