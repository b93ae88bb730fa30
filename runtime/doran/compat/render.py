"""Print the gate's outcome as text: one table row per finding, the versions compared, a summary."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TextIO

from doran.compat.outcome import CheckOutcome
from doran.compat.report import BREAKING

__all__ = ["render_check"]

_HEADER = ("TOPIC", "MODE", "POINTER", "CHANGE", "CONFLUENT", "SEMANTIC")


def _verdict(value: str) -> str:
    return value.upper() if value == BREAKING else value


def _rows(outcome: CheckOutcome) -> list[tuple[tuple[str, ...], list[str]]]:
    rows: list[tuple[tuple[str, ...], list[str]]] = []  # (cells, detail lines)
    for report in outcome.reports:
        several = len(outcome.judged_against(report)) > 1
        for f in report.findings:
            detail = [f.message.removesuffix(f" at {f.pointer or 'the root'}")]
            if several:
                detail[0] += f" (against {outcome.version_of(f)})"
            source = outcome.source_of(f)
            if source is not None:
                detail.append(f"in {source[0]}:{source[1]}")
            witness = outcome.witnesses.get(id(f))
            if witness is not None:
                instance = json.dumps(witness["instance"], ensure_ascii=False)
                detail.append(f"witness ({witness['direction']}): {instance}")
            cells = (f.topic, report.mode, f.pointer or "(root)", f.rule_id,
                     _verdict(f.confluent_verdict), _verdict(f.semantic_verdict))  # fmt: skip
            rows.append((cells, detail))
    for topic in outcome.added:
        cells = (topic, "-", "(topic)", "TOPIC_ADDED", "compatible", "compatible")
        rows.append((cells, ["New topic: nothing to compare"]))
    for topic, mode in outcome.removed:
        rows.append(
            ((topic, mode, "(topic)", "TOPIC_REMOVED", "BREAKING", "BREAKING"), ["Topic was removed"])
        )
    return rows


def render_check(outcome: CheckOutcome, out: TextIO) -> None:
    """Write the table, the versions each topic was compared with, and the summary."""
    out.write(f"Breaking-change gate: {outcome.current} against {', '.join(outcome.versions)}\n\n")
    rows = _rows(outcome)
    if rows:
        table: list[tuple[str, ...]] = [_HEADER, *(r[0] for r in rows)]
        widths = [max(len(cells[i]) for cells in table) for i in range(len(_HEADER))]
        out.write("  ".join(h.ljust(w) for h, w in zip(_HEADER, widths, strict=True)).rstrip() + "\n")
        indent = " " * (widths[0] + widths[1] + 4)
        for cells, detail in rows:
            out.write("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip() + "\n")
            out.writelines(f"{indent}{line}\n" for line in detail)
        out.write("\n")
    else:
        out.write("No schema changed.\n\n")
    out.write("Versions compared:\n")
    for report in outcome.reports:
        out.write(
            f"  {report.topic} ({report.mode}, {report.policy}): "
            f"{', '.join(outcome.judged_against(report))}\n"
        )
    out.write("\n")
    breaking, refused = outcome.breaking_topics, outcome.refused_topics
    changed = [r.topic for r in outcome.reports if r.findings]
    out.write(
        f"Summary: {len(outcome.reports)} topic(s) compared, {len(changed)} changed, "
        f"{len(breaking)} breaking under its mode{_names(breaking)}, "
        f"{len(refused)} the registry would refuse{_names(refused)}; "
        f"{len(outcome.added)} added, {len(outcome.removed)} removed.\n"
    )
    verdict = (
        "FAIL: breaking changes (see CONFLUENT and SEMANTIC above)" if breaking else "OK: nothing breaks"
    )
    out.write(verdict + "\n")


def _names(topics: Sequence[str]) -> str:
    return f" ({', '.join(topics)})" if topics else ""
