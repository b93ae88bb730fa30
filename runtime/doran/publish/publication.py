"""`doran schemas publish`: register each topic's value schema with a Confluent-compatible registry.

Two phases so a rejected change publishes nothing: first every subject is looked up and every
change passes doran's own gate and the registry's compatibility check (reads only); then, if all
pass and this is not a dry run, compatibility rules are set and new versions registered. A re-run
with unchanged contracts finds every schema registered and writes nothing.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, TextIO

from doran.contracts import TOPICS, Envelope
from doran.publish.credentials import RegistryCredentials, registry_credentials_from_env
from doran.publish.errors import (
    IncompatibleSchemaError,
    InliningError,
    InvalidSchemaError,
    PublishError,
    RegistryResponseError,
)
from doran.publish.inline import inline_schema
from doran.publish.plan import Action, SubjectPlan, SubjectSource, gate_versions, render_plan
from doran.publish.registry_http import (
    SCHEMA_NOT_FOUND,
    Compatibility,
    RegisteredVersion,
    SchemaRegistryHttp,
    SubjectConfig,
)
from doran.publish.snapshot import SnapshotRegistry
from doran.schema_source.registry import BundledSchema, TopicSpec

__all__ = [
    "EXIT_BLOCKED",
    "EXIT_OK",
    "EXIT_REGISTRY",
    "RegistryReads",
    "contract_source",
    "contract_sources",
    "plan_against_snapshot",
    "plan_subject",
    "publish",
]

EXIT_OK = 0
EXIT_BLOCKED = 1  # a gate rejected a change, or a schema is unusable: fix the contract
EXIT_REGISTRY = 2  # the registry could not be used: fix the URL, network or credentials


class RegistryReads(Protocol):
    """What planning a publication reads of a registry: a live one, or an export snapshot offline."""

    def lookup(self, subject: str, schema: str) -> RegisteredVersion | int: ...
    def versions(self, subject: str) -> list[int]: ...
    def version(self, subject: str, version: int | str) -> RegisteredVersion: ...
    def subject_config(self, subject: str) -> SubjectConfig: ...
    def check_compatibility(self, subject: str, schema: str) -> Compatibility: ...


def contract_source(spec: TopicSpec[Envelope]) -> SubjectSource:
    """A topic (in the version it writes: its newest, or the one `doran.wire.writing` chose) with its
    bundled schema inlined into one self-contained document, as it is registered."""
    return _source(spec, spec.bundle, spec.schema_version)


def _source(spec: TopicSpec[Envelope], bundle: BundledSchema, version: int) -> SubjectSource:
    schema = inline_schema(bundle.document())
    return SubjectSource(spec.name, spec.compatibility, schema, spec.compatibility_policy, version)


def contract_sources() -> list[SubjectSource]:
    """Every version of every topic of the registry, as it is registered: a subject per version."""
    return [
        source
        for spec in TOPICS.values()
        for source in (
            *(_source(spec, older.bundle, older.schema_version) for older in spec.older),
            contract_source(spec),
        )
    ]


def _parse_registered(version: RegisteredVersion) -> dict[str, object]:
    try:
        parsed = json.loads(version.schema)
    except ValueError as exc:
        raise RegistryResponseError(
            f"{version.subject} v{version.version} is not a JSON schema; doran publishes JSON schemas only",
            status=200,
            error_code=None,
        ) from exc
    if not isinstance(parsed, dict):
        raise RegistryResponseError(
            f"{version.subject} v{version.version} is not a JSON object schema", status=200, error_code=None
        )
    return parsed


def _gate_findings(registry: RegistryReads, source: SubjectSource, versions: list[int]) -> list[str]:
    """doran's breaking findings against the registered versions the subject's rule covers."""
    # Imported here: only a changed subject needs the gate, and rendering manifests must not.
    from doran.compat import compare

    numbers = gate_versions(source.compatibility, versions)
    if not numbers:
        return []
    previous = [_parse_registered(registry.version(source.subject, n)) for n in numbers]
    report = compare(previous, source.schema, source.compatibility, topic=source.topic, policy=source.policy)
    return [
        f"doran gate ({report.mode}, {source.policy}) vs v{numbers[f.previous_version - 1]}: {f}"
        for f in report.findings
        if f.breaking
    ]


def plan_subject(registry: RegistryReads, source: SubjectSource) -> SubjectPlan:
    """Look a subject up and, for a changed schema, run both compatibility gates; reads only."""
    found = registry.lookup(source.subject, source.text)
    config = registry.subject_config(source.subject)
    current = config.level

    def planned(action: Action, version: int | None, findings: tuple[str, ...] = ()) -> SubjectPlan:
        return SubjectPlan(source, action, version, current, findings, config.policy, config.has_policy)

    if isinstance(found, RegisteredVersion):
        return planned("unchanged", found.version)
    if found != SCHEMA_NOT_FOUND:
        return planned("new", None)
    versions = registry.versions(source.subject)
    findings = _gate_findings(registry, source, versions)
    verdict = registry.check_compatibility(source.subject, source.text)
    if not verdict.is_compatible:
        reasons = "; ".join(verdict.messages) or "no reason given"
        findings.append(f"registry check vs latest: incompatible ({reasons})")
    return planned("changed", max(versions, default=None), tuple(findings))


def _apply(registry: SchemaRegistryHttp, plans: Sequence[SubjectPlan], out: TextIO, err: TextIO) -> None:
    done: list[str] = []
    try:
        # Rules first, so each new version is checked by the registry under the rule of topics.json.
        for plan in plans:
            if plan.sets_compatibility:
                policy = plan.source.policy if plan.registry_has_policy else None
                registry.set_compatibility(plan.source.subject, plan.source.compatibility, policy)
                rule = plan.source.compatibility + (f", policy {policy}" if policy else "")
                done.append(f"set {plan.source.subject} compatibility to {rule}")
                out.write(done[-1] + "\n")
        for plan in plans:
            if plan.registers:
                schema_id = registry.register(plan.source.subject, plan.source.text)
                done.append(f"registered {plan.source.subject} (schema id {schema_id})")
                out.write(done[-1] + "\n")
    except PublishError:
        # The registry has no multi-subject transaction: say exactly what landed; a re-run resumes.
        err.write(f"note: done before the failure: {'; '.join(done) or 'nothing'}; re-running is safe\n")
        raise


def publish(
    registry_url: str,
    *,
    dry_run: bool = False,
    auth: RegistryCredentials | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    sources: Sequence[SubjectSource] | None = None,
) -> int:
    """Publish every topic's value schema to the registry at registry_url; returns the exit code.

    auth None reads DORAN_REGISTRY_USERNAME / DORAN_REGISTRY_PASSWORD (anonymous when unset).
    """
    auth = auth if auth is not None else registry_credentials_from_env()
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    try:
        chosen = list(sources) if sources is not None else contract_sources()
        with SchemaRegistryHttp(registry_url, auth=auth) as registry:
            plans = [plan_subject(registry, source) for source in chosen]
            out.write(render_plan(f"Schema registry {registry_url}", plans))
            if _blocked(plans, err):
                return EXIT_BLOCKED
            if dry_run:
                out.write("Dry run: nothing was changed.\n")
                return EXIT_OK
            if not any(plan.registers or plan.sets_compatibility for plan in plans):
                out.write("Registry already up to date: nothing to publish.\n")
                return EXIT_OK
            _apply(registry, plans, out, err)
            return EXIT_OK
    except (IncompatibleSchemaError, InvalidSchemaError, InliningError) as exc:
        err.write(f"error: {exc}\n")
        return EXIT_BLOCKED
    except PublishError as exc:
        err.write(f"error: {exc}\n")
        return EXIT_REGISTRY


def _blocked(plans: Sequence[SubjectPlan], err: TextIO) -> bool:
    blocked = [plan.source.subject for plan in plans if plan.blocked]
    if blocked:
        err.write(
            f"error: incompatible schema change for {', '.join(blocked)}; nothing was published. "
            "Make the change compatible, or ship a breaking one as the topic's next version "
            "(docs/breaking-changes.md).\n"
        )
    return bool(blocked)


def plan_against_snapshot(
    snapshot: Path,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
    sources: Sequence[SubjectSource] | None = None,
) -> int:
    """The dry run of a publication against an export snapshot (`doran schemas export DIR`), offline:
    the plan, each change judged by doran's gate against the snapshot's version. Writes nothing;
    EXIT_BLOCKED when a change would be refused. CompatError when DIR is no export snapshot."""
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    registry = SnapshotRegistry(snapshot)
    try:
        chosen = list(sources) if sources is not None else contract_sources()
        plans = [plan_subject(registry, source) for source in chosen]
    except (InvalidSchemaError, InliningError) as exc:
        err.write(f"error: {exc}\n")
        return EXIT_BLOCKED
    where = f"Export snapshot {snapshot} (offline: doran's gate only; the registry's own check is not run)"
    out.write(render_plan(where, plans))
    if _blocked(plans, err):
        return EXIT_BLOCKED
    out.write("Dry run against a snapshot: nothing was changed.\n")
    return EXIT_OK
