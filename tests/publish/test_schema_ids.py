"""A stage's schema ids from the registry: found at start or a one-line refusal; consumed ids checked."""

from __future__ import annotations

import dataclasses
import io
import json
import uuid
from typing import Any

import httpx
import pytest

from doran.contracts import CMD_EXECUTE_TRADE, DEAD_LETTER_TOPIC, NORM_SWAP_DEMAND, TOPICS
from doran.publish import (
    RegistryAuthError,
    RegistryNotConfigured,
    RegistrySchemas,
    RegistryUnreachableError,
    SchemaNotRegistered,
    publish,
    stage_framing,
)
from doran.publish.publication import contract_source
from doran.publish.registry_http import SchemaRegistryHttp
from doran.settings import Settings
from doran.wire import schema_prefix

WRITES = [NORM_SWAP_DEMAND, DEAD_LETTER_TOPIC]


def _published(registry_url: str) -> None:
    assert publish(registry_url, out=io.StringIO(), err=io.StringIO()) == 0


def _settings(registry_url: str | None, **more: Any) -> Settings:
    return Settings(registry_url=registry_url, **more)


def test_a_stage_frames_with_the_ids_the_registry_gave_its_schemas(registry: Any, registry_url: str) -> None:
    _published(registry_url)

    framing = stage_framing(_settings(registry_url), WRITES)

    for spec in WRITES:
        registered = registry.subjects[spec.value_subject][-1]
        assert registered.schema == contract_source(spec).text
        assert framing.frame(spec.name, b"{}") == schema_prefix(registered.schema_id) + b"{}"
    assert framing.frame(CMD_EXECUTE_TRADE.name, b"{}") == b"{}"  # not written by this stage
    # One lookup per written topic at start, and nothing else.
    assert [(r.method, r.path) for r in registry.requests[-2:]] == [
        ("POST", f"/subjects/{spec.value_subject}") for spec in WRITES
    ]


def test_no_registry_reachable_at_start_is_a_one_line_error(unused_url: str) -> None:
    with pytest.raises(RegistryUnreachableError) as refused:
        stage_framing(_settings(unused_url), WRITES)
    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith(f"schema registry unreachable at {unused_url} (POST {unused_url}/subjects/")
    assert "DORAN_REGISTRY_URL" in message


def test_a_subject_never_published_is_refused_naming_the_remedy(registry_url: str) -> None:
    with pytest.raises(SchemaNotRegistered) as refused:
        stage_framing(_settings(registry_url), WRITES)
    assert str(refused.value) == (
        f"the schema registry at {registry_url} has no subject norm.swap_demand-value: norm.swap_demand is "
        "framed confluent, so its records carry the id the registry gives its schema; publish the schemas "
        f"first (`doran schemas publish --registry {registry_url}`)"
    )


def test_a_subject_without_this_builds_schema_is_refused(registry: Any, registry_url: str) -> None:
    _published(registry_url)
    registry.seed(DEAD_LETTER_TOPIC.value_subject, '{"type":"object"}')  # v2, another build's
    registry.subjects[DEAD_LETTER_TOPIC.value_subject].pop(0)  # and v1 gone: this build's is nowhere

    with pytest.raises(SchemaNotRegistered) as refused:
        stage_framing(_settings(registry_url), WRITES)
    message = str(refused.value)
    assert message.startswith(
        f"the schema registry at {registry_url} holds dlq.doran-value v2, none of them this build's schema "
        f"of dlq.doran (sha256 {DEAD_LETTER_TOPIC.schema_sha256[:12]}): publish it"
    )


def test_writing_a_confluent_topic_without_a_registry_is_refused() -> None:
    with pytest.raises(RegistryNotConfigured) as refused:
        stage_framing(_settings(None), WRITES)
    assert str(refused.value) == (
        "this stage writes norm.swap_demand, dlq.doran, framed confluent in schemas/topics.json: set "
        "DORAN_REGISTRY_URL to the schema registry that holds their schemas (Redpanda: http://redpanda:8081)"
    )


def test_a_stage_writing_only_json_topics_needs_no_registry() -> None:
    plain = [dataclasses.replace(spec, framing="json") for spec in WRITES]
    framing = stage_framing(_settings(None), plain)
    assert framing.frame(NORM_SWAP_DEMAND.name, b"{}") == b"{}"
    assert framing.directory.holds(NORM_SWAP_DEMAND.value_subject, 1) is None


def test_registry_credentials_come_from_settings_and_stay_secret(registry: Any, registry_url: str) -> None:
    registry.required_auth = ("doran", "s3cret")
    registry.seed(NORM_SWAP_DEMAND.value_subject, contract_source(NORM_SWAP_DEMAND).text)
    registry.seed(DEAD_LETTER_TOPIC.value_subject, contract_source(DEAD_LETTER_TOPIC).text)

    framing = stage_framing(
        _settings(registry_url, registry_username="doran", registry_password="s3cret"), WRITES
    )
    assert framing.prefixes[NORM_SWAP_DEMAND.name] == schema_prefix(1)
    with pytest.raises(RegistryAuthError) as refused:
        stage_framing(_settings(registry_url, registry_username="doran", registry_password="wrong"), WRITES)
    assert "wrong" not in str(refused.value) and "DORAN_REGISTRY_PASSWORD" in str(refused.value)


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _directory(registry_url: str, clock: _Clock, **options: Any) -> RegistrySchemas:
    return RegistrySchemas(SchemaRegistryHttp(registry_url), clock=clock, **options)


def _asked(registry: Any) -> list[str]:
    return [r.path for r in registry.requests]


def test_the_directory_answers_by_schema_id_and_asks_once(registry: Any, registry_url: str) -> None:
    _published(registry_url)
    ids = {name: registry.subjects[spec.value_subject][-1].schema_id for name, spec in TOPICS.items()}
    directory = _directory(registry_url, _Clock())
    registry.requests.clear()

    subject = NORM_SWAP_DEMAND.value_subject
    assert directory.holds(subject, ids[NORM_SWAP_DEMAND.name]) is True
    assert directory.holds(subject, ids[CMD_EXECUTE_TRADE.name]) is False
    assert directory.holds(subject, 4711) is None
    for _ in range(3):  # remembered: no more requests
        assert directory.holds(subject, ids[NORM_SWAP_DEMAND.name]) is True
        assert directory.holds(subject, 4711) is None
    assert _asked(registry) == [
        f"/schemas/ids/{ids[NORM_SWAP_DEMAND.name]}/versions",
        f"/schemas/ids/{ids[CMD_EXECUTE_TRADE.name]}/versions",
        "/schemas/ids/4711/versions",
    ]


def test_the_directory_answers_by_guid(registry: Any, registry_url: str) -> None:
    _published(registry_url)
    latest = httpx.get(f"{registry_url}/subjects/{NORM_SWAP_DEMAND.value_subject}/versions/latest").json()
    guid = uuid.UUID(latest["guid"])
    directory = _directory(registry_url, _Clock())

    assert directory.holds(NORM_SWAP_DEMAND.value_subject, guid) is True
    assert directory.holds(CMD_EXECUTE_TRADE.value_subject, guid) is False
    assert directory.holds(NORM_SWAP_DEMAND.value_subject, uuid.uuid4()) is None


def test_a_refusal_is_asked_again_later_and_few_are_remembered(registry: Any, registry_url: str) -> None:
    _published(registry_url)
    clock = _Clock()
    directory = _directory(registry_url, clock, recheck_after_s=30.0, max_refusals=2)
    subject = NORM_SWAP_DEMAND.value_subject
    assert directory.holds(subject, 4711) is None

    # Registered since: the refusal is not final.
    registry.seed(subject, json.dumps({"type": "object", "title": "v2"}))
    new_id = registry.subjects[subject][-1].schema_id
    assert directory.holds(subject, new_id) is True
    clock.now = 29.0
    registry.requests.clear()
    directory.holds(subject, 4711)
    assert _asked(registry) == []
    clock.now = 31.0
    directory.holds(subject, 4711)
    assert _asked(registry) == ["/schemas/ids/4711/versions"]

    for made_up in (1000, 1001, 1002):  # only the newest two refusals are kept
        directory.holds(subject, made_up)
    registry.requests.clear()
    directory.holds(subject, 1002)
    directory.holds(subject, 1001)
    assert _asked(registry) == []
    directory.holds(subject, 1000)
    assert _asked(registry) == ["/schemas/ids/1000/versions"]


def test_a_registry_lost_while_running_is_an_error_not_a_verdict(registry_url: str, unused_url: str) -> None:
    directory = _directory(unused_url, _Clock())
    with pytest.raises(RegistryUnreachableError):
        directory.holds(NORM_SWAP_DEMAND.value_subject, 7)
