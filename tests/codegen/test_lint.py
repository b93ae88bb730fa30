"""`doran contracts lint` finds broken conventions and names file, pointer and rule."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from support.generated import DEMAND_MIGRATION, walkthrough_tree

from doran.codegen.lint import lint
from doran.schema_source.schema_set import load_schema_set


def test_the_repository_schemas_are_clean(schemas_copy: Path) -> None:
    assert lint(load_schema_set(schemas_copy)) == []


def test_each_convention_is_enforced(schemas_copy: Path) -> None:
    path = schemas_copy / "payloads/cmd.execute_trade.schema.json"
    document = json.loads(path.read_text())
    del document["properties"]["reason"]["description"]
    document["properties"]["amount_in"] = {"description": "as a float", "type": "number"}
    document["properties"]["quote_id"] = {"description": "open object", "type": "object"}
    document["properties"]["settled_at"] = {"description": "no pattern", "type": "string"}
    path.write_text(json.dumps(document))
    found = {(f.file, f.pointer, f.rule) for f in lint(load_schema_set(schemas_copy))}
    file = "payloads/cmd.execute_trade.schema.json"
    assert (file, "/properties/reason", "PROPERTY_DESCRIPTION") in found
    assert (file, "/properties/amount_in", "NO_FLOATS") in found
    assert (file, "/properties/amount_in", "TYPED_FIELDS") in found
    assert (file, "/properties/quote_id", "CLOSED_OBJECTS") in found
    assert (file, "/properties/settled_at", "TYPED_FIELDS") in found


def test_an_example_that_contradicts_its_schema_is_reported(schemas_copy: Path) -> None:
    example = schemas_copy / "examples/exec.trade_result/valid/filled.json"
    body = json.loads(example.read_text())
    body["message"]["payload"]["status"] = "done"
    example.write_text(json.dumps(body))
    invalid = schemas_copy / "examples/exec.trade_result/invalid/unknown_status.json"
    body = json.loads(invalid.read_text())
    body["message"]["payload"]["status"] = "filled"
    invalid.write_text(json.dumps(body))
    found = {(f.file, f.pointer) for f in lint(load_schema_set(schemas_copy))}
    assert ("examples/exec.trade_result/valid/filled.json", "/message/payload/status") in found
    assert ("examples/exec.trade_result/invalid/unknown_status.json", "/message") in found


def _findings_after(
    schemas_copy: Path, file: str, edit: Callable[[dict[str, Any]], None]
) -> set[tuple[str, str]]:
    """(pointer, rule) of every finding in `file` once `edit` changed its document."""
    path = schemas_copy / file
    document = json.loads(path.read_text())
    edit(document)
    path.write_text(json.dumps(document))
    return {(f.pointer, f.rule) for f in lint(load_schema_set(schemas_copy)) if f.file == file}


def test_keywords_the_models_would_not_enforce_are_refused(schemas_copy: Path) -> None:
    def edit(document: dict[str, Any]) -> None:
        document["properties"]["note"]["format"] = "email"
        document["properties"]["quote_id"]["not"] = {"const": "q-0"}

    found = _findings_after(schemas_copy, "payloads/exec.trade_result.schema.json", edit)
    assert {
        ("/properties/note/format", "MODEL_KEYWORDS"),
        ("/properties/quote_id/not", "MODEL_KEYWORDS"),
    } <= found


def test_a_one_of_whose_branches_may_overlap_is_refused(schemas_copy: Path) -> None:
    # Both demands would match a message with both amounts null: oneOf refuses it, a union takes it.
    either = {
        "description": "either",
        "type": ["string", "null"],
        "$ref": "../common.schema.json#/$defs/U128",
    }

    def edit(document: dict[str, Any]) -> None:
        for branch in document["$defs"].values():
            branch["properties"] |= {"amount_in": either, "amount_out": either}

    found = _findings_after(schemas_copy, "payloads/norm.swap_demand.schema.json", edit)
    assert ("/oneOf/1", "DISJOINT_ONE_OF") in found


def test_a_topic_without_room_to_grow_must_say_why(schemas_copy: Path) -> None:
    registry = schemas_copy / "topics.json"
    document = json.loads(registry.read_text())
    for topic in document["topics"]:
        topic.pop("frozen", None)
    document["topics"][-1]["frozen"] = "the dead-letter topic never changes"
    registry.write_text(json.dumps(document))
    found = {(f.file, f.pointer, f.rule) for f in lint(load_schema_set(schemas_copy))}
    names = [t["name"] for t in document["topics"]]
    frozen = {names.index("norm.swap_demand"), names.index("cmd.execute_trade")}
    assert {("topics.json", f"/topics/{i}", "ROOM_TO_GROW") for i in frozen} <= found
    assert ("topics.json", f"/topics/{len(names) - 1}/frozen", "ROOM_TO_GROW") in found


def test_a_migration_goes_both_ways_where_the_mode_asks_and_names_real_fields(tmp_path: Path) -> None:
    migration = {
        "description": "one way, and a field version 1 lacks",
        "upgrade": [{"op": "move", "from": "/ttl", "path": "/ttl_ms"}],
    }
    tree = walkthrough_tree(tmp_path, migration)
    found = {(f.file, f.pointer, f.rule) for f in lint(load_schema_set(tree))}
    assert (DEMAND_MIGRATION, "", "MIGRATION_BOTH_WAYS") in found  # norm.swap_demand is FULL
    assert (DEMAND_MIGRATION, "/upgrade/0", "MIGRATION_FIELDS") in found
    clean = walkthrough_tree(tmp_path / "clean")
    assert lint(load_schema_set(clean)) == []


def test_examples_are_judged_by_the_version_they_state(tmp_path: Path) -> None:
    tree = walkthrough_tree(tmp_path)
    v1 = json.loads((tree / "examples/norm.swap_demand/valid/exact_in.json").read_text())
    v2 = {
        **v1["message"],
        "schema_version": 2,
        "payload": {**v1["message"]["payload"], "auction_opens_at": "x"},
    }
    (tree / "examples/norm.swap_demand/invalid/bad_v2.json").write_text(json.dumps({"message": v2}))
    v2["payload"]["auction_opens_at"] = "2026-03-28T20:00:00Z"
    (tree / "examples/norm.swap_demand/valid/v2.json").write_text(json.dumps({"message": v2}))
    assert lint(load_schema_set(tree)) == []
    v2["schema_version"] = 1  # a version 1 message with a version 2 field
    (tree / "examples/norm.swap_demand/valid/v2.json").write_text(json.dumps({"message": v2}))
    found = {(f.file, f.pointer) for f in lint(load_schema_set(tree))}
    assert ("examples/norm.swap_demand/valid/v2.json", "/message/payload") in found
