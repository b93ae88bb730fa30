"""Changes to what a single value may be: type, const/enum, bounds, pattern, multipleOf, format."""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any

from doran.compat.catalogue_values import BOUND_KEYWORDS, bound_rule_id
from doran.compat.change import Change
from doran.compat.regex_language import PatternRelation, compare_patterns
from doran.compat.resolver import View, canonical, type_set

__all__ = ["compare_allowed_values", "compare_scalars", "compare_types"]


def _change(rule_id: str, text: str) -> Change:
    return Change(rule_id, (), text)


def _json(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _types_text(view: View) -> str:
    declared = view.get("type")
    if declared is None:
        return "any type"
    names = [declared] if isinstance(declared, str) else list(declared)
    return " or ".join(f'"{name}"' for name in names)


_CONNECT_TYPE = "connect.type"


def compare_types(old: View, new: View) -> list[Change]:
    old_types, new_types = type_set(old), type_set(new)
    if old_types == new_types:
        return []
    span = f"from {_types_text(old)} to {_types_text(new)}"
    if new_types > old_types:
        return [_change("TYPE_WIDENED", f"Type was widened {span}")]
    if new_types < old_types:
        return [_change("TYPE_NARROWED", f"Type was narrowed {span}")]
    if old.get(_CONNECT_TYPE) == new.get(_CONNECT_TYPE) == "bytes":
        text = f'Type was changed {span} under Kafka Connect\'s "connect.type": "bytes"'
        return [_change("CONNECT_BYTES_TYPE_CHANGED", text)]
    return [_change("TYPE_CHANGED", f"Type was changed {span}")]


def _allowed(view: View) -> tuple[str | None, list[Any]]:
    if "const" in view:
        return "const", [view["const"]]
    if "enum" in view:
        return "enum", list(view["enum"])
    return None, []


def _values_text(values: list[Any]) -> str:
    return ", ".join(_json(v) for v in values)


def compare_allowed_values(old: View, new: View) -> list[Change]:
    old_kind, old_values = _allowed(old)
    new_kind, new_values = _allowed(new)
    if old_kind is None and new_kind is None:
        return []
    if old_kind is None:
        return [
            _change(
                f"{new_kind}_ADDED".upper(), f"`{new_kind}` was added: only {_values_text(new_values)} pass"
            )
        ]
    if new_kind is None:
        return [
            _change(f"{old_kind}_REMOVED".upper(), f"`{old_kind}` {_values_text(old_values)} was removed")
        ]
    changes = []
    if old_kind != new_kind:
        changes.append(_change("ALLOWED_VALUES_RESPELLED", f"`{old_kind}` was respelled as `{new_kind}`"))
    old_set = {canonical(v): v for v in old_values}
    new_set = {canonical(v): v for v in new_values}
    added = [v for k, v in new_set.items() if k not in old_set]
    removed = [v for k, v in old_set.items() if k not in new_set]
    if not added and not removed:
        return changes
    if old_kind == new_kind == "const":
        text = f"`const` was changed from {_json(old_values[0])} to {_json(new_values[0])}"
        return [*changes, _change("CONST_CHANGED", text)]
    if not removed:
        return [
            *changes,
            _change("ENUM_EXTENDED", f"Allowed values were extended with {_values_text(added)}"),
        ]
    if not added:
        return [*changes, _change("ENUM_NARROWED", f"Allowed values {_values_text(removed)} were removed")]
    text = f"Allowed values {_values_text(removed)} were replaced by {_values_text(added)}"
    return [*changes, _change("ENUM_CHANGED", text)]


def _number(value: Any) -> Fraction | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return Fraction(value)


def _bounds(old: View, new: View) -> list[Change]:
    changes = []
    for keyword, (_, _, side) in BOUND_KEYWORDS.items():
        before, after = _number(old.get(keyword)), _number(new.get(keyword))
        if before == after:
            continue
        if before is None:
            changes.append(
                _change(bound_rule_id(keyword, "ADDED"), f"`{keyword}` {_json(new[keyword])} was added")
            )
        elif after is None:
            changes.append(
                _change(bound_rule_id(keyword, "REMOVED"), f"`{keyword}` {_json(old[keyword])} was removed")
            )
        else:
            tighter = after > before if side == "lower" else after < before
            verb = "TIGHTENED" if tighter else "LOOSENED"
            span = f"from {_json(old[keyword])} to {_json(new[keyword])}"
            changes.append(_change(bound_rule_id(keyword, verb), f"`{keyword}` was {verb.lower()} {span}"))
    return changes


_PATTERN_RULES = {
    PatternRelation.EQUIVALENT: ("PATTERN_REWRITTEN", "was rewritten; it matches exactly the same strings"),
    PatternRelation.LOOSENED: ("PATTERN_LOOSENED", "was loosened; it still matches every string it matched"),
    PatternRelation.TIGHTENED: (
        "PATTERN_TIGHTENED",
        "was tightened; it matches only some of the strings it matched",
    ),
    PatternRelation.INCOMPARABLE: (
        "PATTERN_CHANGED",
        "was changed; each version matches strings the other rejects",
    ),
    PatternRelation.UNKNOWN: ("PATTERN_CHANGED", "was changed and the two could not be compared as automata"),
}


def _pattern(old: View, new: View) -> list[Change]:
    before, after = old.get("pattern"), new.get("pattern")
    if before == after:
        return []
    if before is None:
        return [_change("PATTERN_ADDED", f"`pattern` {_json(after)} was added")]
    if after is None:
        return [_change("PATTERN_REMOVED", f"`pattern` {_json(before)} was removed")]
    rule_id, verb = _PATTERN_RULES[compare_patterns(str(before), str(after))]
    return [_change(rule_id, f"`pattern` {verb} (now {_json(after)})")]


def _multiple_of(old: View, new: View) -> list[Change]:
    before, after = _number(old.get("multipleOf")), _number(new.get("multipleOf"))
    if before == after:
        return []
    if before is None:
        return [_change("MULTIPLE_OF_ADDED", f"`multipleOf` {_json(new['multipleOf'])} was added")]
    if after is None:
        return [_change("MULTIPLE_OF_REMOVED", f"`multipleOf` {_json(old['multipleOf'])} was removed")]
    span = f"from {_json(old['multipleOf'])} to {_json(new['multipleOf'])}"
    if (after / before).denominator == 1:
        return [_change("MULTIPLE_OF_TIGHTENED", f"`multipleOf` was tightened {span}")]
    if (before / after).denominator == 1:
        return [_change("MULTIPLE_OF_LOOSENED", f"`multipleOf` was loosened {span}")]
    return [_change("MULTIPLE_OF_CHANGED", f"`multipleOf` was changed {span}")]


def compare_scalars(old: View, new: View) -> list[Change]:
    """Bounds, pattern, multipleOf, uniqueItems and format of one schema node."""
    changes = _bounds(old, new) + _pattern(old, new) + _multiple_of(old, new)
    if bool(old.get("uniqueItems")) != bool(new.get("uniqueItems")):
        added = bool(new.get("uniqueItems"))
        rule_id = "UNIQUE_ITEMS_ADDED" if added else "UNIQUE_ITEMS_REMOVED"
        changes.append(_change(rule_id, f"`uniqueItems: true` was {'added' if added else 'removed'}"))
    if old.get("format") != new.get("format"):
        span = f"from {_json(old.get('format'))} to {_json(new.get('format'))}"
        changes.append(_change("FORMAT_CHANGED", f"`format` was changed {span}"))
    return changes
