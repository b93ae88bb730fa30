"""Changes to `allOf`/`anyOf`/`oneOf`, and to keywords the gate only compares for equality.

Branches are paired before they are diffed: equal content first, then the most similar pair (fewest
changes, no type change at its root, same title if both have one); unpaired branches are reported as
added or removed. A plain schema facing a lone `anyOf`/`oneOf` is read as its single branch, so
`"string"` -> `anyOf[string, null]` is one branch added (Confluent's SUM_TYPE_EXTENDED).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from doran.compat.change import Change
from doran.compat.disjoint import provably_disjoint
from doran.compat.resolver import SchemaResolver, View, assertions, canonical

if TYPE_CHECKING:
    from doran.compat.walker import Walker

__all__ = ["compare_combinators", "compare_other_keywords", "lift_unions"]

UNIONS = ("allOf", "anyOf", "oneOf")
_ROOT_CLASH = frozenset(
    {"TYPE_CHANGED", "CONST_CHANGED", "ENUM_CHANGED", "SCHEMA_FORBIDDEN", "SCHEMA_ALLOWED"}
)
# Assertion keywords compared for equality only; any difference is KEYWORD_CHANGED.
_SCHEMA_KEYWORDS = ("not", "if", "then", "else", "contains", "propertyNames", "unevaluatedProperties",
                    "unevaluatedItems", "additionalItems")  # fmt: skip
_SCHEMA_MAP_KEYWORDS = ("patternProperties", "dependentSchemas")
_SCHEMA_LIST_KEYWORDS = ("prefixItems",)
_PLAIN_KEYWORDS = (
    "minContains",
    "maxContains",
    "dependentRequired",
    "dependencies",
    "$dynamicRef",
    "$recursiveRef",
)


def _lone_union(view: View) -> str | None:
    keys = assertions(view)
    if len(keys) == 1 and next(iter(keys)) in UNIONS:
        kind = next(iter(keys))
        if kind != "allOf" or len(view[kind]) == 1:
            return kind
    return None


def lift_unions(old: View, new: View) -> tuple[View, View]:
    """Read a plain schema as a one-branch union when the other side is only a union."""
    old_has = any(k in old for k in UNIONS)
    new_has = any(k in new for k in UNIONS)
    new_union, old_union = _lone_union(new), _lone_union(old)
    if new_union and not old_has and assertions(old):
        return {new_union: [old]}, new
    if old_union and not new_has and assertions(new):
        return old, {old_union: [new]}
    return old, new


def _title(resolver: SchemaResolver, node: Any) -> str | None:
    view = resolver.view(node)
    title = view.get("title") if view is not False else None
    return title if isinstance(title, str) else None


def _pair(walker: Walker, olds: Sequence[Any], news: Sequence[Any]) -> list[tuple[int, int]]:
    ranked = []
    for i, old in enumerate(olds):
        for j, new in enumerate(news):
            changes = walker.diff(old, new)
            if changes:
                if any(c.path == () and c.rule_id in _ROOT_CLASH for c in changes):
                    continue
                titles = _title(walker.old, old), _title(walker.new, new)
                if None not in titles and titles[0] != titles[1]:
                    continue
            ranked.append((len(changes), abs(i - j), i, j))
    pairs: list[tuple[int, int]] = []
    used_old: set[int] = set()
    used_new: set[int] = set()
    for _, _, i, j in sorted(ranked):
        if i not in used_old and j not in used_new:
            pairs.append((i, j))
            used_old.add(i)
            used_new.add(j)
    return pairs


def _branch_name(resolver: SchemaResolver, node: Any, index: int) -> str:
    title = _title(resolver, node)
    if title:
        return f'"{title}"'
    ref = node.get("$ref") if isinstance(node, dict) else None
    if isinstance(ref, str):
        return '"' + ref.rsplit("/", 1)[-1] + '"'
    return f"#{index}"


def _disjoint_from_rest(resolver: SchemaResolver, branches: Sequence[Any], index: int) -> bool:
    return all(provably_disjoint(branches[index], b, resolver) for k, b in enumerate(branches) if k != index)


def _added(walker: Walker, kind: str, branches: Sequence[Any], j: int) -> Change:
    name = _branch_name(walker.new, branches[j], j)
    if kind == "allOf":
        return Change("ALL_OF_MEMBER_ADDED", (kind, str(j)), f"Member {name} was added to `allOf`")
    if kind == "anyOf":
        return Change("ANY_OF_BRANCH_ADDED", (kind, str(j)), f"Branch {name} was added to `anyOf`")
    if _disjoint_from_rest(walker.new, branches, j):
        return Change("ONE_OF_BRANCH_ADDED", (kind, str(j)), f"Branch {name} was added to `oneOf`")
    text = f"Branch {name} that may overlap another was added to `oneOf`"
    return Change("ONE_OF_OVERLAPPING_BRANCH_ADDED", (kind, str(j)), text)


def _removed(walker: Walker, kind: str, branches: Sequence[Any], i: int) -> Change:
    name = _branch_name(walker.old, branches[i], i)
    if kind == "allOf":
        return Change("ALL_OF_MEMBER_REMOVED", (kind, str(i)), f"Member {name} was removed from `allOf`")
    if kind == "anyOf":
        return Change("ANY_OF_BRANCH_REMOVED", (kind, str(i)), f"Branch {name} was removed from `anyOf`")
    if _disjoint_from_rest(walker.old, branches, i):
        return Change("ONE_OF_BRANCH_REMOVED", (kind, str(i)), f"Branch {name} was removed from `oneOf`")
    text = f"Branch {name} that may overlap another was removed from `oneOf`"
    return Change("ONE_OF_OVERLAPPING_BRANCH_REMOVED", (kind, str(i)), text)


def _branches(
    walker: Walker, old_kind: str, olds: Sequence[Any], new_kind: str, news: Sequence[Any]
) -> list[Change]:
    pairs = _pair(walker, olds, news)
    changes: list[Change] = []
    for i, j in sorted(pairs, key=lambda pair: pair[1]):
        changes += walker.nested(olds[i], news[j], new_kind, str(j))
    paired_new = {j for _, j in pairs}
    paired_old = {i for i, _ in pairs}
    changes += [_added(walker, new_kind, news, j) for j in range(len(news)) if j not in paired_new]
    changes += [_removed(walker, old_kind, olds, i) for i in range(len(olds)) if i not in paired_old]
    return changes


def _pairwise_disjoint(resolver: SchemaResolver, branches: Sequence[Any]) -> bool:
    return all(_disjoint_from_rest(resolver, branches, i) for i in range(len(branches)))


def _criterion(
    walker: Walker, old_kind: str, olds: Sequence[Any], new_kind: str, news: Sequence[Any]
) -> Change:
    text = f"`{old_kind}` became `{new_kind}`"
    if new_kind == "anyOf":
        if old_kind == "oneOf" and _pairwise_disjoint(walker.old, olds):
            return Change("ONE_OF_RESPELLED_AS_ANY_OF", (), text + " over disjoint branches")
        return Change("COMBINATOR_RELAXED", (), text)
    if old_kind == "anyOf":
        if new_kind == "oneOf" and _pairwise_disjoint(walker.new, news):
            return Change("ANY_OF_RESPELLED_AS_ONE_OF", (), text + " over disjoint branches")
        return Change("COMBINATOR_TIGHTENED", (), text)
    return Change("COMBINATOR_CHANGED", (), text)


def compare_combinators(walker: Walker, old: View, new: View) -> list[Change]:
    old_kinds = [k for k in UNIONS if k in old]
    new_kinds = [k for k in UNIONS if k in new]
    if len(old_kinds) == 1 and len(new_kinds) == 1 and old_kinds != new_kinds:
        ok, nk = old_kinds[0], new_kinds[0]
        return [_criterion(walker, ok, old[ok], nk, new[nk]), *_branches(walker, ok, old[ok], nk, new[nk])]
    changes: list[Change] = []
    for kind in UNIONS:
        if kind in old and kind in new:
            changes += _branches(walker, kind, old[kind], kind, new[kind])
        elif kind in new:
            changes.append(
                Change("COMBINATOR_ADDED", (), f"`{kind}` with {len(new[kind])} branch(es) was added")
            )
        elif kind in old:
            changes.append(
                Change("COMBINATOR_REMOVED", (), f"`{kind}` with {len(old[kind])} branch(es) was removed")
            )
    return changes


def _same(walker: Walker, keyword: str, old: Any, new: Any) -> bool:
    if keyword in _SCHEMA_KEYWORDS:
        return not walker.diff(old, new)
    if keyword in _SCHEMA_MAP_KEYWORDS:
        return old.keys() == new.keys() and all(not walker.diff(old[k], new[k]) for k in old)
    if keyword in _SCHEMA_LIST_KEYWORDS:
        return len(old) == len(new) and all(not walker.diff(a, b) for a, b in zip(old, new, strict=True))
    return bool(canonical(old) == canonical(new))


def compare_other_keywords(walker: Walker, old: View, new: View) -> list[Change]:
    """Keywords the gate does not model: any difference is a conservative KEYWORD_CHANGED."""
    changes = []
    for keyword in (*_SCHEMA_KEYWORDS, *_SCHEMA_MAP_KEYWORDS, *_SCHEMA_LIST_KEYWORDS, *_PLAIN_KEYWORDS):
        if keyword not in old and keyword not in new:
            continue
        if keyword not in old or keyword not in new:
            verb = "added" if keyword in new else "removed"
        elif _same(walker, keyword, old[keyword], new[keyword]):
            continue
        else:
            verb = "changed"
        changes.append(Change("KEYWORD_CHANGED", (), f"`{keyword}` was {verb}; the gate does not model it"))
    return changes
