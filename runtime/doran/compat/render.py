"""Print the gate's outcome: one table row per finding, a line per added/removed topic, a summary."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from doran.compat.report import BREAKING, CompatReport

__all__ = ["render_check"]

_HEADER = ("TOPIC", "MODE", "POINTER", "CHANGE", "CONFLUENT", "SEMANTIC")


def _verdict(value: str) -> str:
    return value.upper() if value == BREAKING else value


def render_check(
    reports: Sequence[CompatReport],
    added: Sequence[str],
    removed: Sequence[tuple[str, str]],
    *,
    current: str,
    previous: str,
    out: TextIO,
) -> None:
    """Write the table and summary; `removed` holds (topic, its previous mode)."""
    rows: list[tuple[tuple[str, ...], str]] = []  # (cells, detail line)
    cells: tuple[str, ...]
    for report in reports:
        for f in report.findings:
            detail = f.message.removesuffix(f" at {f.pointer or 'the root'}")
            cells = (f.topic, report.mode, f.pointer or "(root)", f.rule_id,
                     _verdict(f.confluent_verdict), _verdict(f.semantic_verdict))  # fmt: skip
            rows.append((cells, detail))
    for topic in added:
        rows.append(
            (
                (topic, "-", "(topic)", "TOPIC_ADDED", "compatible", "compatible"),
                "New topic: nothing to compare",
            )
        )
    for topic, mode in removed:
        rows.append(((topic, mode, "(topic)", "TOPIC_REMOVED", "BREAKING", "BREAKING"), "Topic was removed"))

    out.write(f"Breaking-change gate: {current} against {previous}\n\n")
    if rows:
        table: list[tuple[str, ...]] = [_HEADER, *(r[0] for r in rows)]
        widths = [max(len(cells[i]) for cells in table) for i in range(len(_HEADER))]
        out.write("  ".join(h.ljust(w) for h, w in zip(_HEADER, widths, strict=True)).rstrip() + "\n")
        indent = " " * (widths[0] + widths[1] + 4)
        for cells, detail in rows:
            out.write("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip() + "\n")
            out.write(f"{indent}{detail}\n")
        out.write("\n")
    else:
        out.write("No schema changed.\n\n")

    breaking = [r.topic for r in reports if r.breaking] + [t for t, _ in removed]
    refused = [r.topic for r in reports if r.refused_by_registry] + [t for t, _ in removed]
    changed = [r.topic for r in reports if r.findings]
    out.write(
        f"Summary: {len(reports)} topic(s) compared, {len(changed)} changed, "
        f"{len(breaking)} breaking under its mode{_names(breaking)}, "
        f"{len(refused)} the registry would refuse{_names(refused)}; "
        f"{len(added)} added, {len(removed)} removed.\n"
    )
    verdict = (
        "FAIL: breaking changes (see CONFLUENT and SEMANTIC above)" if breaking else "OK: nothing breaks"
    )
    out.write(verdict + "\n")


def _names(topics: Sequence[str]) -> str:
    return f" ({', '.join(topics)})" if topics else ""
