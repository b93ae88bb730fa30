"""What one `doran contracts check` found: per-topic reports, the versions each was compared with."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from doran.compat.report import CompatReport, Finding
from doran.schema_source.source_map import SourceLocation

__all__ = ["CheckOutcome"]


@dataclass(frozen=True)
class CheckOutcome:
    """The gate's result. `compared[topic]` lists the labels of the versions compared, oldest first
    (a finding's `previous_version` indexes it); `removed` holds (topic, its previous mode);
    `witnesses` maps id(finding) to an instance proving its semantic break, where one was found;
    `locations` maps id(finding) to where the change is in the source files (under `source_folder`),
    when the current version is a source tree."""

    current: str
    versions: Sequence[str]
    reports: Sequence[CompatReport]
    compared: Mapping[str, Sequence[str]]
    added: Sequence[str]
    removed: Sequence[tuple[str, str]]
    witnesses: Mapping[int, Any] = field(default_factory=dict)
    locations: Mapping[int, SourceLocation] = field(default_factory=dict)
    source_folder: str = "schemas"

    def version_of(self, finding: Finding) -> str:
        return self.compared[finding.topic][finding.previous_version - 1]

    def source_of(self, finding: Finding) -> tuple[str, int] | None:
        """The file (relative to the repository) and line a person edits to change what `finding` is about."""
        location = self.locations.get(id(finding))
        return None if location is None else (f"{self.source_folder}/{location.file}", location.line)

    def judged_against(self, report: CompatReport) -> Sequence[str]:
        """The versions a topic was compared with: all it appears in when transitive, else the newest."""
        labels = self.compared[report.topic]
        return labels if report.mode.endswith("_TRANSITIVE") else labels[-1:]

    @property
    def breaking_topics(self) -> list[str]:
        return [r.topic for r in self.reports if r.breaking] + [t for t, _ in self.removed]

    @property
    def refused_topics(self) -> list[str]:
        return [r.topic for r in self.reports if r.refused_by_registry] + [t for t, _ in self.removed]

    @property
    def exit_code(self) -> int:
        return 1 if self.breaking_topics else 0
