"""Print the gate's outcome for CI: JSON, JUnit XML, or GitHub Actions workflow commands.

Every format has one entry per finding carrying topic, pointer, rule ID, both verdicts, the version
compared with, the source file and line to edit (`file`, `line`: the schema under schemas/ that holds
what changed) and, for a semantic break, the witness instance when one was found.
"""

from __future__ import annotations

import json
from typing import Any, TextIO
from xml.etree import ElementTree

from doran.compat.outcome import CheckOutcome

__all__ = ["FORMATS", "entries", "render_ci"]

FORMATS = ("text", "json", "junit", "github-actions")


def _topic_entry(topic: str, rule: str, message: str, version: str | None) -> dict[str, Any]:
    verdict = "breaking" if version else "compatible"
    return {
        "topic": topic, "pointer": "", "rule": rule, "message": message, "confluent_verdict": verdict,
        "semantic_verdict": verdict, "breaking": bool(version), "previous_version": version, "witness": None,
        "file": None, "line": None,
    }  # fmt: skip


def entries(outcome: CheckOutcome) -> list[dict[str, Any]]:
    """One dict per finding, added topic and removed topic."""
    rows: list[dict[str, Any]] = []
    for report in outcome.reports:
        for f in report.findings:
            witness = outcome.witnesses.get(id(f))
            file, line = outcome.source_of(f) or (None, None)
            rows.append({
                "topic": f.topic, "mode": report.mode, "policy": report.policy, "pointer": f.pointer,
                "rule": f.rule_id, "message": f.message, "confluent_verdict": f.confluent_verdict,
                "semantic_verdict": f.semantic_verdict, "breaking": f.breaking,
                "previous_version": outcome.version_of(f), "witness": witness, "file": file, "line": line,
            })  # fmt: skip
    for topic in outcome.added:
        rows.append(_topic_entry(topic, "TOPIC_ADDED", "New topic: nothing to compare", None))
    for topic, _ in outcome.removed:
        rows.append(_topic_entry(topic, "TOPIC_REMOVED", "Topic was removed", outcome.versions[-1]))
    return rows


def _json(outcome: CheckOutcome, out: TextIO) -> None:
    document = {
        "current": outcome.current,
        "versions": list(outcome.versions),
        "compared": {r.topic: list(outcome.judged_against(r)) for r in outcome.reports},
        "findings": entries(outcome),
        "breaking_topics": outcome.breaking_topics,
        "refused_by_registry": outcome.refused_topics,
        "ok": not outcome.breaking_topics,
    }
    out.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def _text(entry: dict[str, Any]) -> str:
    verdicts = f"Confluent {entry['confluent_verdict']}, semantic {entry['semantic_verdict']}"
    text = f"{entry['message']} [{entry['rule']}: {verdicts}]"
    if entry.get("previous_version"):
        text += f" against {entry['previous_version']}"
    if entry.get("witness"):
        text += f"; witness ({entry['witness']['direction']}): {json.dumps(entry['witness']['instance'])}"
    return text


def _junit(outcome: CheckOutcome, out: TextIO) -> None:
    rows = entries(outcome)
    suite = ElementTree.Element(
        "testsuite", name="doran contracts check", tests=str(len(rows) + len(outcome.reports)),
        failures=str(sum(1 for e in rows if e["breaking"])),
    )  # fmt: skip
    for report in outcome.reports:  # a passing case per topic compared, so a clean run is not empty
        ElementTree.SubElement(
            suite, "testcase", classname=report.topic, name=f"{report.mode} {report.policy}"
        )
    for entry in rows:
        where = {"file": entry["file"], "line": str(entry["line"])} if entry["file"] else {}
        case = ElementTree.SubElement(
            suite,
            "testcase",
            classname=entry["topic"],
            name=f"{entry['rule']} at {entry['pointer'] or '/'}",
            **where,
        )
        if entry["breaking"]:
            failure = ElementTree.SubElement(case, "failure", type=entry["rule"], message=entry["message"])
            failure.text = _text(entry)
        else:
            ElementTree.SubElement(case, "system-out").text = _text(entry)
    suites = ElementTree.Element("testsuites")
    suites.append(suite)
    out.write(ElementTree.tostring(suites, encoding="unicode", xml_declaration=True) + "\n")


def _escape(text: str, *, property_value: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if property_value else text


def _github(outcome: CheckOutcome, out: TextIO) -> None:
    for entry in entries(outcome):
        command = "error" if entry["breaking"] else "notice"
        title = _escape(f"{entry['topic']} {entry['pointer'] or '/'} {entry['rule']}", property_value=True)
        where = ""
        if entry["file"]:  # the annotation attaches to the line of the schema that changed
            where = f"file={_escape(entry['file'], property_value=True)},line={entry['line']},"
        out.write(f"::{command} {where}title={title}::{_escape(_text(entry))}\n")
    verdict = "breaking changes" if outcome.breaking_topics else "nothing breaks"
    out.write(f"doran contracts check: {verdict} ({len(outcome.reports)} topic(s) compared)\n")


def render_ci(outcome: CheckOutcome, error_format: str, out: TextIO) -> None:
    """Write the outcome in one of the machine formats ("json", "junit", "github-actions")."""
    {"json": _json, "junit": _junit, "github-actions": _github}[error_format](outcome, out)
