"""The rule catalogue: every change the gate can report, by ID (see `Rule` for the fields)."""

from __future__ import annotations

from collections.abc import Mapping

from doran.compat.catalogue_arrays import ARRAY_RULES
from doran.compat.catalogue_objects import OBJECT_RULES
from doran.compat.catalogue_structure import STRUCTURE_RULES
from doran.compat.catalogue_values import VALUE_RULES
from doran.compat.rules import Effect, Rule, index_rules

__all__ = ["RULES", "catalogue_markdown"]

RULES: Mapping[str, Rule] = index_rules(VALUE_RULES, OBJECT_RULES, ARRAY_RULES, STRUCTURE_RULES)


def _cell(effect: Effect, direction: str) -> str:
    return "ok" if getattr(effect, direction) else "**breaks**"


def catalogue_markdown() -> str:
    """The catalogue as a Markdown table, for the contracts documentation."""
    lines = [
        "| Rule | Purpose | Confluent backward | Confluent forward | Semantic backward | Semantic forward "
        "| LENIENT policy | Confluent reports (backward / forward) | Note |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for rule in RULES.values():
        cells = [
            f"`{rule.id}`",
            rule.purpose,
            _cell(rule.confluent, "backward"),
            _cell(rule.confluent, "forward"),
            _cell(rule.semantic, "backward"),
            _cell(rule.semantic, "forward"),
            "same" if rule.lenient is None else rule.lenient.describe(),
            " / ".join(rule.confluent_types),
            rule.note,
        ]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"
