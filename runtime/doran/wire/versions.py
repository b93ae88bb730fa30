"""A topic's versions on the wire: which a consumer reads, how an earlier one reaches the newest, and
which one a producer writes.

Consumers read every version their topic lists and hand stage logic the newest (`decode` upgrades
an earlier one with the topic's migrations). Producers write the newest unless configured to write
an earlier one (`writing`, DORAN_PRODUCE_VERSIONS): stage logic still makes the newest version's
payloads and the downgrade migrations map them back. So a breaking change rolls out without a flag
day: consumers first (reading both), producers second (switching to the new version).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from doran.contracts import TOPICS, DeadLetterReason, Envelope, Violation
from doran.errors import ContractError
from doran.schema_source.migration import Migration, MigrationFailed
from doran.schema_source.registry import TopicSpec, VersionSpec
from doran.wire.errors import ContractViolation, UnknownTopic

__all__ = ["UnwritableVersion", "check_written_versions", "earlier_version", "upgraded_payload", "writing"]


class UnwritableVersion(ContractError):
    """A producer was configured to write a version of a topic it cannot write."""


def earlier_version(spec: TopicSpec[Any], version: Any) -> VersionSpec[Any] | None:
    """The earlier version of the topic a message's `schema_version` names, if the topic reads it."""
    for older in spec.older:
        if older.schema_version == version and not isinstance(version, bool):
            return older
    return None


def unknown_version(spec: TopicSpec[Any], version: int) -> ContractViolation:
    """The refusal of a message whose version the topic does not read (a newer producer's, or one
    no migration reaches any more)."""
    reads = ", ".join(map(str, spec.versions))
    if version > spec.schema_version:
        why = (
            f"a producer writes version {version}, newer than this build reads ({reads}): "
            "consumers must be upgraded before producers switch"
        )
    else:
        why = f"no migration reaches version {spec.schema_version} from version {version} (it reads {reads})"
    violation = Violation(pointer="/schema_version", message=why)
    return ContractViolation(spec.name, DeadLetterReason.UNKNOWN_SCHEMA_VERSION, [violation])


def _migration_file(spec: TopicSpec[Any], version: int) -> str:
    return next(v.migration for v in spec.earlier_versions if v.schema_version == version)


def upgraded_payload(spec: TopicSpec[Any], earlier: VersionSpec[Any], payload: Any) -> Any:
    """The payload of an `earlier` version migrated to the topic's newest version; ContractViolation
    (migration_failed, naming the migration and the pointer) when a step cannot map it."""
    for step in spec.older:
        if step.schema_version < earlier.schema_version:
            continue
        file = _migration_file(spec, step.schema_version)
        where = f"migration v{step.schema_version}->v{step.schema_version + 1} ({file})"
        try:
            payload = step.upgrade.apply(payload)
        except MigrationFailed as exc:
            violation = Violation(pointer=f"/payload{exc.pointer}", message=f"{where}: {exc.message}")
            raise ContractViolation(spec.name, DeadLetterReason.MIGRATION_FAILED, [violation]) from None
        except Exception as exc:  # a migration must never crash a stage: its message becomes a dead letter
            violation = Violation(pointer="/payload", message=f"{where} raised {type(exc).__name__}: {exc}")
            raise ContractViolation(spec.name, DeadLetterReason.MIGRATION_FAILED, [violation]) from None
    return payload


def writing(spec: TopicSpec[Any], version: int | None) -> TopicSpec[Envelope]:
    """The topic as a producer writes it in `version` (None or the newest: the topic itself).

    An earlier version's spec stamps that version, names its schema in the record's headers, and maps
    the newest version's payloads (what stage logic makes) down with the topic's downgrade
    migrations. UnwritableVersion when the topic has no such version, or a step has no downgrade.
    """
    if version is None or version == spec.schema_version:
        return spec
    target = earlier_version(spec, version)
    if target is None:
        raise UnwritableVersion(
            f"{spec.name} has no version {version} to write; it has {', '.join(map(str, spec.versions))}"
        )
    down = Migration(())
    for step in reversed(spec.older):
        if step.schema_version < version:
            break
        if step.downgrade is None:
            raise UnwritableVersion(
                f"{spec.name} cannot be written as version {version}: the migration from version "
                f"{step.schema_version} ({_migration_file(spec, step.schema_version)}) has no downgrade. "
                "Add one, or roll out every consumer of the topic before its producers instead"
            )
        down = down.then(step.downgrade)
    return dataclasses.replace(
        spec,
        payload_schema=target.payload_schema,
        schema_version=version,
        earlier_versions=(),
        event_model=target.event_model,
        bundle=target.bundle,
        older=(),
        from_newest=down,
    )


def check_written_versions(versions: Mapping[str, int]) -> None:
    """Fail at start, not at the first record: every configured topic exists and can be written so."""
    for name, version in versions.items():
        if name not in TOPICS:
            raise UnknownTopic(name)
        writing(TOPICS[name], version)
