"""Bad contract sources fail with the file and JSON pointer of the problem."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from doran.errors import SchemaSourceError
from doran.schema_source.schema_set import load_schema_set


def _edit(path: Path, change: Any) -> None:
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))


def test_the_repository_schemas_load(schemas_copy: Path) -> None:
    schemas = load_schema_set(schemas_copy)
    assert [t.name for t in schemas.topics] == [
        "raw.near_intents.quote",
        "raw.near_intents.quote_status",
        "norm.swap_demand",
        "cmd.execute_trade",
        "exec.trade_result",
        "exec.quote_signed",
        "exec.quote_settlement",
        "dlq.doran",
    ]


def test_a_file_that_is_not_json_is_named_with_its_line(schemas_copy: Path) -> None:
    (schemas_copy / "payloads/exec.trade_result.schema.json").write_text('{\n  "title": oops\n}')
    with pytest.raises(SchemaSourceError) as info:
        load_schema_set(schemas_copy)
    assert info.value.file == "payloads/exec.trade_result.schema.json"
    assert "not JSON" in str(info.value) and "line 2" in str(info.value)


def test_an_invalid_2020_12_schema_is_named_with_its_pointer(schemas_copy: Path) -> None:
    _edit(schemas_copy / "envelope.schema.json", lambda d: d["properties"]["venue"].update(minLength=-1))
    with pytest.raises(SchemaSourceError) as info:
        load_schema_set(schemas_copy)
    assert (info.value.file, info.value.pointer) == ("envelope.schema.json", "/properties/venue/minLength")


def test_a_schema_of_another_draft_is_refused(schemas_copy: Path) -> None:
    _edit(
        schemas_copy / "common.schema.json",
        lambda d: d.update({"$schema": "http://json-schema.org/draft-07/schema#"}),
    )
    with pytest.raises(SchemaSourceError, match="2020-12") as info:
        load_schema_set(schemas_copy)
    assert info.value.pointer == "/$schema"


def test_an_unresolvable_ref_is_named_with_its_pointer(schemas_copy: Path) -> None:
    path = schemas_copy / "payloads/cmd.execute_trade.schema.json"
    _edit(path, lambda d: d["properties"]["amount_in"].update({"$ref": "../common.schema.json#/$defs/U256"}))
    with pytest.raises(SchemaSourceError, match="does not resolve") as info:
        load_schema_set(schemas_copy)
    assert info.value.file == "payloads/cmd.execute_trade.schema.json"
    assert info.value.pointer == "/properties/amount_in/$ref"


def test_a_topic_without_a_schema_is_named_in_the_registry(schemas_copy: Path) -> None:
    _edit(
        schemas_copy / "topics.json",
        lambda d: d["topics"][1].update(payload_schema="payloads/missing.schema.json"),
    )
    with pytest.raises(SchemaSourceError, match="does not exist") as info:
        load_schema_set(schemas_copy)
    assert (info.value.file, info.value.pointer) == ("topics.json", "/topics/1/payload_schema")


def test_a_registry_entry_breaking_the_registry_schema_is_named(schemas_copy: Path) -> None:
    _edit(schemas_copy / "topics.json", lambda d: d["topics"][2].update(partitions=0))
    with pytest.raises(SchemaSourceError) as info:
        load_schema_set(schemas_copy)
    assert (info.value.file, info.value.pointer) == ("topics.json", "/topics/2/partitions")


def test_duplicate_topic_names_are_refused(schemas_copy: Path) -> None:
    _edit(schemas_copy / "topics.json", lambda d: d["topics"][3].update(name=d["topics"][2]["name"]))
    with pytest.raises(SchemaSourceError, match="duplicate name") as info:
        load_schema_set(schemas_copy)
    assert info.value.pointer == "/topics/3/name"


def test_a_bundle_is_self_contained(schemas_copy: Path) -> None:
    bundle = load_schema_set(schemas_copy).bundle("cmd.execute_trade")
    refs = [line for line in json.dumps(bundle).split('"$ref": ')[1:]]
    assert refs and all(ref.startswith('"#/$defs/') for ref in refs)
    assert bundle["properties"]["event_type"]["const"] == "execute_trade"


def test_a_registry_from_before_compatibility_policy_reads_as_strict(schemas_copy: Path) -> None:
    from doran.schema_source.registry import load_topic_registry

    def drop_policy(document: Any) -> None:
        for topic in document["topics"]:
            del topic["compatibility_policy"]

    def no_longer_required(document: Any) -> None:
        document["properties"]["topics"]["items"]["required"].remove("compatibility_policy")

    _edit(schemas_copy / "topics.json", drop_policy)
    _edit(schemas_copy / "topics.schema.json", no_longer_required)
    assert {t.compatibility_policy for t in load_topic_registry(schemas_copy).topics} == {"STRICT"}
