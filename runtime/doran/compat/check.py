"""`doran contracts check`: compare every topic of schemas/ with its published history.

Each topic is judged under the mode and Confluent policy of the current topics.json, against the
newest previous version that has it or, for *_TRANSITIVE modes, every version that has it; each
version of a topic's payload against that version's past (a new major version: `compat.versions`). A topic
absent from every previous version is reported as added (not breaking); one the newest previous
version has and schemas/ lacks is breaking. Semantic breaks get a witness instance where one is found.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from doran.compat.catalogue import RULES
from doran.compat.history import load_history
from doran.compat.loader import TopicSchemas, load_topic_schemas
from doran.compat.outcome import CheckOutcome
from doran.compat.render import render_check
from doran.compat.render_ci import FORMATS, render_ci
from doran.compat.report import BREAKING, MODES, CompatReport, compare
from doran.compat.versions import lineage, new_major_version, retired_versions
from doran.compat.witness import find_witness
from doran.schema_source.source_map import SourceLocation, locate, locate_entry

__all__ = ["FORMATS", "check_outcome", "run_check"]


def _witnesses(
    report: CompatReport, history: Sequence[dict[str, Any]], current: dict[str, Any]
) -> dict[int, Any]:
    found: dict[int, Any] = {}
    for direction in MODES[report.mode]:
        for position in sorted({f.previous_version for f in report.findings}):
            targets = [
                f
                for f in report.findings
                if f.previous_version == position
                and f.semantic_verdict == BREAKING
                and f.rule_id in RULES
                and not getattr(RULES[f.rule_id].semantic, direction)
            ]
            if not targets:
                continue
            previous = history[position - 1]
            pair = (previous, current) if direction == "backward" else (current, previous)
            witness = find_witness(*pair)
            if witness is None:
                continue
            instance, failing = witness
            matching = [f for f in targets if failing.startswith(f.pointer) and id(f) not in found]
            if matching:
                best = max(matching, key=lambda f: len(f.pointer))
                found[id(best)] = {"direction": direction, "instance": instance}
    return found


def check_outcome(
    current: TopicSchemas, versions: Sequence[TopicSchemas], *, witnesses: bool = True
) -> CheckOutcome:
    """Judge every version of every topic of current against the versions (oldest first)."""
    reports: list[CompatReport] = []
    lineages: dict[str, tuple[str, int]] = {}  # report label -> (topic, version)
    compared: dict[str, list[str]] = {}
    added: list[str] = []
    found: dict[int, Any] = {}
    for topic in current.schemas:
        having = [v for v in versions if topic in v.schemas]
        if not having:
            added.append(topic)
            continue
        mode, policy = current.compatibility[topic], current.policy[topic]
        newest = current.newest(topic)
        for version, schema in sorted(current.versions[topic].items()):
            label = lineage(topic, version, newest)
            past = [v for v in having if version in v.versions[topic]]
            if past:
                history = [v.versions[topic][version] for v in past]
                report = compare(history, schema, mode, topic=label, policy=policy)
                compared[label] = [v.label for v in past]  # non-transitive findings all index the last
                if witnesses and any(f.semantic_verdict == BREAKING for f in report.findings):
                    found.update(_witnesses(report, history, schema))
            elif version == newest:
                finding = new_major_version(topic, current, having[-1], mode)
                report = CompatReport(topic=label, mode=mode, findings=(finding,), policy=policy)
                compared[label] = [having[-1].label]
            else:
                continue  # an earlier version the published contract never had: nothing to compare
            if version == newest:
                retired = tuple(retired_versions(topic, current, having[-1]))
                report = CompatReport(report.topic, report.mode, report.findings + retired, report.policy)
            reports.append(report)
            lineages[label] = (topic, version)
    latest = versions[-1]
    removed = [(t, latest.compatibility[t]) for t in latest.schemas if t not in current.schemas]
    locations: dict[int, SourceLocation] = {}
    if current.source is not None:
        for report in reports:
            topic, version = lineages[report.topic]
            for f in report.findings:
                if f.rule_id in RULES:
                    where = locate(current.source, topic, f.pointer, _keyword(f.message), version)
                else:  # a version added or dropped: the topic's versions in topics.json
                    where = locate_entry(current.source, topic, "schema_version")
                locations[id(f)] = where
    return CheckOutcome(
        current="schemas/ of the working tree",
        versions=[v.label for v in versions],
        reports=reports,
        compared=compared,
        added=added,
        removed=removed,
        witnesses=found,
        locations=locations,
    )


_KEYWORD = re.compile(r"`([$A-Za-z]+)`")


def _keyword(message: str) -> str | None:
    """The keyword a finding's message names first (`maxLength` was tightened ...), if any."""
    match = _KEYWORD.search(message)
    return match.group(1) if match else None


def run_check(
    against: str | Sequence[str],
    *,
    repo_root: Path,
    out: TextIO,
    history: str | None = None,
    error_format: str = "text",
) -> int:
    """Print the gate's outcome for schemas/ of repo_root; 1 if anything breaks, else 0.

    `against` is one or several git refs or folders (oldest first); `history` a git tag pattern
    whose matches come first. CompatError when a version or schema is unusable.
    """
    sources = [against] if isinstance(against, str) else list(against)
    current = load_topic_schemas(repo_root / "schemas", "working tree schemas/")
    outcome = check_outcome(current, load_history(sources, history, repo_root))
    if error_format == "text":
        render_check(outcome, out)
    else:
        render_ci(outcome, error_format, out)
    return outcome.exit_code
