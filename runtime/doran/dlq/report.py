"""The replay plan as text: what was read, the selected dead letters grouped by stage, reason, target
and decision (or one line each), and counts that add up: selected = replayed + already replayed +
not replayable + still rejected."""

from __future__ import annotations

from collections import Counter

from doran.contracts import DEAD_LETTER_TOPIC
from doran.dlq.plan import Disposition, PlanItem, ReplayPlan, Selection

__all__ = ["render_counts", "render_plan"]

_COLUMNS = ("stage", "reason", "target", "plan", "count")


def render_plan(
    plan: ReplayPlan, *, broker: str, unreadable: int, selection: Selection, each: bool = False
) -> list[str]:
    """The plan's lines: a heading, one line per group (and per dead letter when `each`)."""
    repeated = f", {plan.repeated} repeated id(s) counted once" if plan.repeated else ""
    skipped = f", {unreadable} unreadable record(s) skipped" if unreadable else ""
    lines = [
        f"{DEAD_LETTER_TOPIC.name} at {broker}: {plan.read} dead letter(s) read{repeated}{skipped}; "
        f"{plan.selected} selected ({selection.describe()})"
    ]
    if not plan.items:
        return lines
    groups = Counter(
        (item.stage.value, item.reason.value, item.target or "-", item.label) for item in plan.items
    )
    rows = [_COLUMNS, *((*group, str(count)) for group, count in sorted(groups.items()))]
    widths = [max(len(row[column]) for row in rows) for column in range(len(_COLUMNS))]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row[:-1], widths[:-1], strict=True)]
        lines.append("  " + "  ".join([*cells, row[-1].rjust(widths[-1])]))
    if each:
        lines.append("")
        lines.extend(_item_line(item) for item in plan.items)
    return lines


def _item_line(item: PlanItem) -> str:
    target = "-" if item.refeed is None else _where(item.refeed.topic, item.refeed.partition)
    line = (
        f"  {item.letter_id}  {item.stage.value}/{item.reason.value}  {item.origin} -> {target}: {item.label}"
    )
    return f"{line} ({item.detail})" if item.detail else line


def _where(topic: str, partition: int | None) -> str:
    return topic if partition is None else f"{topic}[{partition}]"


def render_counts(plan: ReplayPlan, *, written: int | None) -> str:
    """The reconciled counts; `written` is None for a dry run (nothing written)."""
    replaying = plan.count(Disposition.REPLAY)
    first = f"to replay {replaying}" if written is None else f"replayed {replaying}"
    counts = (
        f"selected {plan.selected} = {first} + already replayed {plan.count(Disposition.ALREADY_REPLAYED)}"
        f" + not replayable {plan.count(Disposition.NOT_REPLAYABLE)}"
        f" + still rejected {plan.count(Disposition.STILL_REJECTED)}"
    )
    if written is None:
        return f"dry run, nothing written: {counts}"
    if replaying == 0:
        return f"{counts}; nothing new to replay, no record written"
    return f"{counts}; {written} record(s) written"
