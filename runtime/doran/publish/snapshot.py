"""An export snapshot (`doran schemas export DIR`) read as the registry a publication would meet, offline.

`doran schemas publish --snapshot DIR` plans against it: each version of each topic of the snapshot
is a subject holding one version, its schema as exported, under the compatibility rule of the snapshot's
topics.json. doran's own gate judges every change; the registry's check cannot run offline and is
reported as not run.
"""

from __future__ import annotations

from pathlib import Path

from doran.publish.inline import canonical_text, inline_schema
from doran.publish.registry_http import (
    SCHEMA_NOT_FOUND,
    SUBJECT_NOT_FOUND,
    Compatibility,
    RegisteredVersion,
    SubjectConfig,
)
from doran.schema_source.registry import value_subject

__all__ = ["SnapshotRegistry"]

_VERSION = 1  # a snapshot holds one version of each subject


class SnapshotRegistry:
    """The reads of a publication's plan (`plan_subject`), answered from an export snapshot."""

    def __init__(self, directory: Path) -> None:
        from doran.compat.loader import load_topic_schemas

        snapshot = load_topic_schemas(directory, f"export snapshot {directory}")
        self.location = str(directory)
        self._texts = {
            value_subject(topic, version): canonical_text(inline_schema(schema))
            for topic, versions in snapshot.versions.items()
            for version, schema in versions.items()
        }
        self._configs = {
            value_subject(topic, version): SubjectConfig(
                snapshot.compatibility[topic], snapshot.policy[topic], True
            )
            for topic, versions in snapshot.versions.items()
            for version in versions
        }

    def lookup(self, subject: str, schema: str) -> RegisteredVersion | int:
        if subject not in self._texts:
            return SUBJECT_NOT_FOUND
        return self.version(subject, _VERSION) if self._texts[subject] == schema else SCHEMA_NOT_FOUND

    def versions(self, subject: str) -> list[int]:
        return [_VERSION] if subject in self._texts else []

    def version(self, subject: str, version: int | str) -> RegisteredVersion:
        return RegisteredVersion(subject, _VERSION, 0, self._texts[subject])

    def subject_config(self, subject: str) -> SubjectConfig:
        return self._configs.get(subject, SubjectConfig(None, None, True))

    def check_compatibility(self, subject: str, schema: str) -> Compatibility:
        """Offline there is no registry to ask: only doran's gate judges (see the plan's header)."""
        return Compatibility(True, ())
