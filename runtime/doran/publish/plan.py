"""What a publication would do, per subject: pure data and its rendering, no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from doran.publish.inline import canonical_text
from doran.schema_source.registry import value_subject

__all__ = ["Action", "SubjectPlan", "SubjectSource", "gate_versions", "render_plan"]

Action = Literal["new", "changed", "unchanged"]


@dataclass(frozen=True)
class SubjectSource:
    """One version of a topic's contract as it is to be registered: self-contained schema and
    compatibility rule, under the subject of that version (`value_subject`)."""

    topic: str
    compatibility: str
    schema: dict[str, Any]
    # The rule set doran's gate judges with; the registry's own check keeps its configured one.
    policy: str = "STRICT"
    version: int = 1

    @property
    def subject(self) -> str:
        return value_subject(self.topic, self.version)

    @property
    def text(self) -> str:
        return canonical_text(self.schema)


@dataclass(frozen=True)
class SubjectPlan:
    """The decision for one subject; findings non-empty means a gate rejected the change."""

    source: SubjectSource
    action: Action
    registered_version: int | None
    current_compatibility: str | None
    findings: tuple[str, ...] = ()
    current_policy: str | None = None
    registry_has_policy: bool = False

    @property
    def blocked(self) -> bool:
        return bool(self.findings)

    @property
    def sets_policy(self) -> bool:
        """The registry has compatibilityPolicy and it differs (unset counts as STRICT, its default)."""
        return self.registry_has_policy and (self.current_policy or "STRICT") != self.source.policy

    @property
    def sets_compatibility(self) -> bool:
        return self.current_compatibility != self.source.compatibility or self.sets_policy

    @property
    def registers(self) -> bool:
        return self.action != "unchanged"


def gate_versions(compatibility: str, versions: Sequence[int]) -> list[int]:
    """Versions a change must be compatible with: all if *_TRANSITIVE, else the latest; none for NONE."""
    if compatibility == "NONE" or not versions:
        return []
    return list(versions) if compatibility.endswith("_TRANSITIVE") else [max(versions)]


def _describe(plan: SubjectPlan) -> str:
    level = plan.source.compatibility
    if plan.action == "new":
        what = "first version"
    elif plan.action == "changed":
        what = f"new version after v{plan.registered_version}"
    else:
        what = f"registered as v{plan.registered_version}"
    current = plan.current_compatibility or "unset"
    change = f" (registry: {current} -> {level})" if plan.current_compatibility != level else ""
    rule = f"compatibility {level}{change}"
    policy = plan.source.policy
    if plan.sets_policy:
        rule += f", policy {policy} (registry: {plan.current_policy or 'unset'} -> {policy})"
    elif not plan.registry_has_policy and policy != "STRICT":
        rule += f", policy {policy} in doran's gate only (this registry has no compatibilityPolicy)"
    return f"{what}; {rule}"


def render_plan(where: str, plans: Sequence[SubjectPlan]) -> str:
    """Human-readable plan against `where` (`Schema registry <url>`, or a snapshot): one line per
    subject, findings under blocked ones, then totals."""
    width = max((len(p.source.subject) for p in plans), default=0)
    lines = [f"{where}: {len(plans)} subjects (TopicNameStrategy, schemaType JSON)"]
    for plan in plans:
        label = "BLOCKED" if plan.blocked else plan.action
        lines.append(f"  {label:<10} {plan.source.subject:<{width}}  {_describe(plan)}")
        lines.extend(f"      - {finding}" for finding in plan.findings)
    counts = {a: sum(1 for p in plans if p.action == a) for a in ("new", "changed", "unchanged")}
    updates = sum(1 for p in plans if p.sets_compatibility)
    lines.append(
        f"Plan: {counts['new']} new, {counts['changed']} changed, {counts['unchanged']} unchanged; "
        f"{updates} compatibility update(s)."
    )
    return "\n".join(lines) + "\n"
