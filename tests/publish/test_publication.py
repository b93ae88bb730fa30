"""`doran schemas publish` on the wire: exact requests, idempotence, gates, and error messages.

The registry is the recording stand-in of doran.devkit.schema_registry (no real registry can run here).
"""

from __future__ import annotations

import base64
import copy
import io
import json
from typing import Any

import pytest

from doran.contracts import TOPICS
from doran.devkit.ports import free_port
from doran.publish import RegistryCredentials, publish
from doran.publish.inline import canonical_text, unsupported_keywords
from doran.publish.plan import SubjectSource
from doran.publish.publication import EXIT_BLOCKED, EXIT_OK, EXIT_REGISTRY, contract_sources

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"


def _run(url: str, **kwargs: Any) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = publish(url, out=out, err=err, **{"dry_run": False, **kwargs})
    return code, out.getvalue(), err.getvalue()


def _calls(registry: Any) -> list[tuple[str, str, Any]]:
    return [(r.method, r.path, r.body) for r in registry.requests]


def _body(source: SubjectSource) -> dict[str, str]:
    return {"schema": source.text, "schemaType": "JSON"}


def _without_required(schema: dict[str, Any], name: str) -> dict[str, Any]:
    """An older schema that lacked one required envelope field: the current schema then breaks it."""
    older = copy.deepcopy(schema)
    older["required"].remove(name)
    del older["properties"][name]
    return older


def _reworded(schema: dict[str, Any]) -> dict[str, Any]:
    """An older schema that differs only in its description: every rule accepts the change."""
    older = copy.deepcopy(schema)
    older["description"] = "An earlier wording."
    return older


def test_first_publication_sends_exactly_the_documented_requests(registry: Any, registry_url: str) -> None:
    sources = contract_sources()

    code, out, err = _run(registry_url)

    assert (code, err) == (EXIT_OK, "")
    reads = [
        call
        for s in sources
        for call in (("POST", f"/subjects/{s.subject}", _body(s)), ("GET", f"/config/{s.subject}", None))
    ]
    reads.insert(2, ("GET", "/config", None))  # once: does the registry have compatibilityPolicy?
    config = [("PUT", f"/config/{s.subject}", {"compatibility": s.compatibility}) for s in sources]
    register = [("POST", f"/subjects/{s.subject}/versions", _body(s)) for s in sources]
    assert _calls(registry) == reads + config + register
    for request in registry.requests:
        assert CONTENT_TYPE in request.headers["accept"]
        if request.body is not None:
            assert request.headers["content-type"] == CONTENT_TYPE
        assert "authorization" not in request.headers
    assert [s.subject for s in sources] == [f"{topic}-value" for topic in TOPICS]
    assert {s: [v.schema for v in vs] for s, vs in registry.subjects.items()} == {
        s.subject: [s.text] for s in sources
    }
    assert registry.configs == {s.subject: TOPICS[s.topic].compatibility for s in sources}
    assert out.count(" new ") == len(sources)


def test_published_schemas_have_no_references(registry: Any, registry_url: str) -> None:
    _run(registry_url)
    for subject, versions in registry.subjects.items():
        assert unsupported_keywords(json.loads(versions[0].schema)) == [], subject


def test_rerun_writes_nothing(registry: Any, registry_url: str) -> None:
    assert _run(registry_url)[0] == EXIT_OK
    writes_after_first = len(registry.writes())
    registry.requests.clear()

    code, out, _ = _run(registry_url)

    assert code == EXIT_OK
    assert registry.writes() == []
    assert {r.method for r in registry.requests} == {"POST", "GET"}  # lookups and config reads only
    assert "nothing to publish" in out
    assert writes_after_first == 2 * len(TOPICS)


def test_dry_run_prints_the_plan_and_writes_nothing(registry: Any, registry_url: str) -> None:
    code, out, _ = _run(registry_url, dry_run=True)

    assert code == EXIT_OK
    assert registry.writes() == []
    for source in contract_sources():
        assert f"new        {source.subject}" in out
    assert "Dry run: nothing was changed." in out


def test_compatible_change_registers_a_new_version(registry: Any, registry_url: str) -> None:
    source = contract_sources()[0]
    older = canonical_text(_reworded(source.schema))
    registry.seed(source.subject, older)
    registry.configs[source.subject] = source.compatibility

    code, out, err = _run(registry_url, sources=[source])

    assert (code, err) == (EXIT_OK, "")
    assert _calls(registry) == [
        ("POST", f"/subjects/{source.subject}", _body(source)),
        ("GET", f"/config/{source.subject}", None),
        ("GET", "/config", None),
        ("GET", f"/subjects/{source.subject}/versions", None),
        ("GET", f"/subjects/{source.subject}/versions/1", None),
        ("POST", f"/compatibility/subjects/{source.subject}/versions/latest", _body(source)),
        ("POST", f"/subjects/{source.subject}/versions", _body(source)),
    ]
    assert registry.requests[5].query == {"verbose": ["true"]}
    assert [v.schema for v in registry.subjects[source.subject]] == [older, source.text]
    assert "changed" in out


def test_transitive_rule_checks_every_registered_version(registry: Any, registry_url: str) -> None:
    (source,) = [s for s in contract_sources() if s.compatibility.endswith("_TRANSITIVE")][:1]
    older = _reworded(source.schema)
    registry.seed(source.subject, canonical_text(older), canonical_text({**older, "title": "v2"}))

    _run(registry_url, dry_run=True, sources=[source])

    reads = [r.path for r in registry.requests if r.method == "GET" and "/versions/" in r.path]
    assert reads == [f"/subjects/{source.subject}/versions/1", f"/subjects/{source.subject}/versions/2"]


def test_breaking_change_stops_before_any_write(registry: Any, registry_url: str) -> None:
    changed, fresh = contract_sources()[:2]
    registry.seed(changed.subject, canonical_text(_without_required(changed.schema, "raw")))

    code, out, err = _run(registry_url, sources=[changed, fresh])

    assert code == EXIT_BLOCKED
    assert registry.writes() == []  # not even the new, unrelated subject
    assert f"BLOCKED    {changed.subject}" in out
    assert "doran gate" in out
    assert 'Required property "raw" was added' in out
    assert f"incompatible schema change for {changed.subject}; nothing was published" in err


def test_registry_verdict_alone_also_blocks(registry: Any, registry_url: str) -> None:
    source = contract_sources()[0]
    registry.seed(source.subject, canonical_text(_reworded(source.schema)))
    registry.incompatible = lambda subject, new, old: "the registry's own rule said no"

    code, out, _ = _run(registry_url, sources=[source])

    assert code == EXIT_BLOCKED
    assert registry.writes() == []
    assert "registry check vs latest: incompatible (the registry's own rule said no)" in out


def test_only_a_changed_rule_is_updated(registry: Any, registry_url: str) -> None:
    source = contract_sources()[0]
    registry.seed(source.subject, source.text)
    registry.configs[source.subject] = "NONE"

    code, out, _ = _run(registry_url, sources=[source])

    assert code == EXIT_OK
    assert [(r.method, r.path, r.body) for r in registry.writes()] == [
        ("PUT", f"/config/{source.subject}", {"compatibility": source.compatibility})
    ]
    assert f"(registry: NONE -> {source.compatibility})" in out


def test_missing_credentials_are_named(registry: Any, registry_url: str) -> None:
    registry.required_auth = ("doran", "s3cret")

    code, _, err = _run(registry_url)

    assert code == EXIT_REGISTRY
    assert "rejected the credentials (HTTP 401" in err
    assert "DORAN_REGISTRY_USERNAME" in err
    assert registry.writes() == []


def test_credentials_from_the_environment_are_sent(
    registry: Any, registry_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry.required_auth = ("doran", "s3cret")
    monkeypatch.setenv("DORAN_REGISTRY_USERNAME", "doran")
    monkeypatch.setenv("DORAN_REGISTRY_PASSWORD", "s3cret")

    code, _, err = _run(registry_url)

    assert (code, err) == (EXIT_OK, "")
    expected = "Basic " + base64.b64encode(b"doran:s3cret").decode()
    assert {r.headers["authorization"] for r in registry.requests} == {expected}


def test_forbidden_user_is_told_so(registry: Any, registry_url: str) -> None:
    registry.forbidden = True

    code, _, err = _run(registry_url, auth=RegistryCredentials(username="reader", password="x"))

    assert code == EXIT_REGISTRY
    assert "denied access (HTTP 403" in err


def test_unreachable_registry_is_named() -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens on it

    code, out, err = _run(url)

    assert code == EXIT_REGISTRY
    assert out == ""
    assert f"schema registry unreachable at {url}" in err
    assert "--registry" in err


def test_conflict_at_registration_reports_what_landed(registry: Any, registry_url: str) -> None:
    first, second = contract_sources()[:2]
    registry.conflicts.add(second.subject)

    code, _, err = _run(registry_url, sources=[first, second])

    assert code == EXIT_BLOCKED
    assert f"schema registry refused {second.subject} as incompatible" in err
    assert f"done before the failure: set {first.subject} compatibility" in err
    assert f"registered {first.subject}" in err
    assert "re-running is safe" in err


def _lenient(source: SubjectSource) -> SubjectSource:
    return SubjectSource(source.topic, source.compatibility, source.schema, "LENIENT")


def test_a_lenient_topic_sets_the_policy_where_the_registry_has_one(registry: Any, registry_url: str) -> None:
    registry.has_policy = True
    source = _lenient(contract_sources()[0])

    code, out, _ = _run(registry_url, sources=[source])

    assert code == EXIT_OK
    assert (
        "PUT",
        f"/config/{source.subject}",
        {"compatibility": source.compatibility, "compatibilityPolicy": "LENIENT"},
    ) in _calls(registry)
    assert registry.policies == {source.subject: "LENIENT"}
    assert "policy LENIENT (registry: unset -> LENIENT)" in out


def test_a_lenient_topic_on_a_registry_without_policies_is_gated_by_doran_only(
    registry: Any, registry_url: str
) -> None:
    source = _lenient(contract_sources()[0])

    code, out, _ = _run(registry_url, sources=[source])

    assert code == EXIT_OK
    assert ("PUT", f"/config/{source.subject}", {"compatibility": source.compatibility}) in _calls(registry)
    assert "policy LENIENT in doran's gate only (this registry has no compatibilityPolicy)" in out
