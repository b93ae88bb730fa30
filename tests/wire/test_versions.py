"""Consumers read every version of a topic and get the newest; producers write the version they are
told to; what no migration reaches or maps is refused with its reason, never a traceback.

The topics here come from the walkthrough of docs/breaking-changes.md (norm.swap_demand at version
2), rendered by the real codegen into a package of their own.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from support import golden
from support.generated import generated_package, walkthrough_tree

from doran.contracts import MISSING, DeadLetterReason
from doran.schema_source.registry import TopicSpec
from doran.wire import (
    ContractViolation,
    Framing,
    KnownSchemas,
    UnknownTopic,
    UnwritableVersion,
    build,
    check_written_versions,
    decode,
    derived_object,
    kafka_record,
    object_record,
    schema_prefix,
    writing,
)

V1 = json.loads(next(e.data for e in golden.golden_examples() if e.id == "norm.swap_demand/valid/exact_in"))
OPENS = "2026-03-28T20:00:00.000000Z"


def _package(root: Path, migration: dict[str, Any] | None = None) -> ModuleType:
    return generated_package(walkthrough_tree(root, migration))


@pytest.fixture(scope="module")
def demand(tmp_path_factory: pytest.TempPathFactory) -> TopicSpec[Any]:
    spec: TopicSpec[Any] = _package(tmp_path_factory.mktemp("walkthrough")).TOPICS["norm.swap_demand"]
    return spec


def _v2(**payload: Any) -> dict[str, Any]:
    return {**V1, "schema_version": 2, "payload": {**V1["payload"], **payload}}


def test_an_earlier_version_reaches_stage_logic_as_the_newest(demand: TopicSpec[Any]) -> None:
    event = decode(demand, json.dumps(V1))
    assert type(event) is demand.event_model and event.schema_version == 2
    assert event.payload.model_dump(mode="json", exclude_unset=True) == V1["payload"]
    assert event.event_id == V1["event_id"] and event.raw == V1["raw"]


def test_the_newest_version_is_read_as_it_is(demand: TopicSpec[Any]) -> None:
    event = decode(demand, json.dumps(_v2(auction_opens_at=OPENS)))
    assert event.payload.auction_opens_at == OPENS


@pytest.mark.parametrize(
    ("version", "says"), [(3, "newer than this build reads (1, 2)"), (0, "no migration")]
)
def test_a_version_no_migration_reaches_is_named(demand: TopicSpec[Any], version: int, says: str) -> None:
    with pytest.raises(ContractViolation) as caught:
        decode(demand, json.dumps({**V1, "schema_version": version}))
    assert caught.value.reason is DeadLetterReason.UNKNOWN_SCHEMA_VERSION
    assert [v.pointer for v in caught.value.violations] == ["/schema_version"]
    assert says in caught.value.violations[0].message


def test_an_earlier_version_is_held_to_its_own_contract(demand: TopicSpec[Any]) -> None:
    # Version 1 has no auction_opens_at: a version 1 message carrying it is not a version 1 message.
    with pytest.raises(ContractViolation) as caught:
        decode(demand, json.dumps({**_v2(auction_opens_at=OPENS), "schema_version": 1}))
    assert caught.value.reason is DeadLetterReason.SCHEMA_VIOLATION
    assert {v.pointer for v in caught.value.violations} == {"/payload/auction_opens_at"}


@pytest.mark.parametrize(
    ("upgrade", "pointer", "says"),
    [
        # An operation that cannot map this message: named with its migration file.
        (
            {"op": "convert", "path": "/quote_id", "to": "integer"},
            "/payload/quote_id",
            "migration v1->v2 (migrations/norm.swap_demand.v1-v2.json): convert /quote_id to integer: cannot",
        ),
        # A result the newest contract refuses: named with the version it came from.
        (
            {"op": "add", "path": "/auction_opens_at", "value": "soon"},
            "/payload/auction_opens_at",
            "migrated from",
        ),
    ],
)
def test_a_message_its_migration_cannot_map_is_refused_with_why(
    tmp_path: Path, upgrade: dict[str, Any], pointer: str, says: str
) -> None:
    spec = _package(tmp_path, {"description": "faulty", "upgrade": [upgrade]}).TOPICS["norm.swap_demand"]
    with pytest.raises(ContractViolation) as caught:
        decode(spec, json.dumps(V1))
    assert caught.value.reason is DeadLetterReason.MIGRATION_FAILED
    [violation] = caught.value.violations
    assert violation.pointer == pointer and violation.message.startswith(says)


def test_a_producer_writes_the_version_it_is_told(demand: TopicSpec[Any]) -> None:
    v1 = writing(demand, 1)
    assert writing(demand, None) is demand and writing(demand, 2) is demand
    newest_payload = {**V1["payload"], "auction_opens_at": OPENS}
    event = build(
        v1, newest_payload, **{k: V1[k] for k in ("event_id", "source", "observed_at", "ingested_at", "raw")}
    )
    record = kafka_record(v1, event)
    written = json.loads(record.value)
    assert written["schema_version"] == 1 and written["payload"] == V1["payload"]
    headers = dict(record.headers)
    assert headers["ce_dataschema"].decode() == demand.older[0].bundle.id
    assert headers["doran_contract_sha256"].decode() == demand.older[0].bundle.sha256
    # The record's own bytes are what a consumer of either version reads back.
    assert decode(demand, record.value).payload.auction_opens_at is MISSING


def test_the_per_message_path_writes_the_configured_version_too(demand: TopicSpec[Any]) -> None:
    upstream = decode(demand, json.dumps(V1))
    event = derived_object(
        writing(demand, 1), upstream, {**V1["payload"], "auction_opens_at": OPENS}, source="t"
    )
    record = object_record(writing(demand, 1), event)
    assert (
        json.loads(record.value)["schema_version"] == 1
        and "auction_opens_at" not in json.loads(record.value)["payload"]
    )


def test_a_version_a_producer_cannot_write_stops_it_at_start(tmp_path: Path, demand: TopicSpec[Any]) -> None:
    with pytest.raises(UnwritableVersion, match="has no version 3"):
        writing(demand, 3)
    one_way = {"description": "no way back", "upgrade": []}
    spec = _package(tmp_path, one_way).TOPICS["norm.swap_demand"]
    with pytest.raises(
        UnwritableVersion, match=r"\(migrations/norm.swap_demand.v1-v2.json\) has no downgrade"
    ):
        writing(spec, 1)
    with pytest.raises(UnknownTopic, match=r"norm\.swap_demands"):
        check_written_versions({"norm.swap_demands": 1})
    with pytest.raises(UnwritableVersion):
        check_written_versions({"norm.swap_demand": 2})  # the repository's build has version 1 only


def test_a_consumer_takes_a_schema_id_held_under_any_version_of_its_topic(demand: TopicSpec[Any]) -> None:
    # Each version of a topic has a registry subject of its own; what any of them holds is the topic's.
    subjects = {
        7: {"norm.swap_demand-value"},
        8: {"norm.swap_demand.v2-value"},
        9: {"cmd.execute_trade-value"},
    }
    framing = Framing({}, KnownSchemas(subjects))
    assert demand.value_subjects == ("norm.swap_demand-value", "norm.swap_demand.v2-value")
    v1, v2 = json.dumps(V1).encode(), json.dumps(_v2()).encode()
    assert framing.decode(demand, schema_prefix(7) + v1).schema_version == 2
    assert framing.decode(demand, schema_prefix(8) + v2).schema_version == 2
    with pytest.raises(ContractViolation) as refused:
        framing.decode(demand, schema_prefix(9) + v2)
    assert refused.value.reason is DeadLetterReason.SCHEMA_ID_OF_OTHER_SUBJECT
    assert "norm.swap_demand-value or norm.swap_demand.v2-value" in str(refused.value)
    assert writing(demand, 1).value_subject == "norm.swap_demand-value"
