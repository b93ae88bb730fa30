"""Changes to `allOf`/`anyOf`/`oneOf`: branches paired by a maximum matching, then diffed.

Duplicate `allOf`/`anyOf` members collapse (they admit the same values; a duplicate `oneOf` branch
does not, so it stays). Every old branch is compared with every new one; the pairs are chosen as
Confluent's CombinedSchemaDiff does, by a maximum matching over the pairs it accepts, and among
those matchings the one that keeps the most pairs semantically compatible, then pairs the rest by
similarity (no type change at the root, same title if both have one), then fewest changes.
Branches left unpaired are reported as added or removed, which matches Confluent's comparison of
the branch counts. A plain schema facing a lone union is read as a one-branch union of its kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from doran.compat.change import Change
from doran.compat.context import Nested, PairGen, WalkContext
from doran.compat.disjoint import provably_disjoint
from doran.compat.matching import max_weight_matching
from doran.compat.resolver import SchemaResolver, View, canonical
from doran.schema_source.refs import assertions

__all__ = ["compare_combinators", "compare_lifted", "liftable", "lone_branch", "lone_union"]

UNIONS = ("allOf", "anyOf", "oneOf")
_ROOT_CLASH = frozenset(
    {"TYPE_CHANGED", "CONST_CHANGED", "ENUM_CHANGED", "SCHEMA_FORBIDDEN", "SCHEMA_ALLOWED"}
)
Branches = list[tuple[int | None, Any]]  # (index in the keyword's list, or None for the node itself; node)


def _distinct(kind: str, nodes: Sequence[Any]) -> Branches:
    if kind == "oneOf":
        return list(enumerate(nodes))
    seen: set[Any] = set()
    branches: Branches = []
    for index, node in enumerate(nodes):
        key = canonical(node)
        if key not in seen:
            seen.add(key)
            branches.append((index, node))
    return branches


def lone_union(view: View) -> str | None:
    """The combinator a view consists of, when it holds no other assertion."""
    keys = assertions(view)
    return next(iter(keys)) if len(keys) == 1 and next(iter(keys)) in UNIONS else None


def lone_branch(view: View) -> tuple[str, int, Any] | None:
    """(kind, index, branch) when the view is only a combinator with one distinct branch."""
    kind = lone_union(view)
    if kind is None or not isinstance(view[kind], list):
        return None
    branches = _distinct(kind, view[kind])
    return (kind, branches[0][0] or 0, branches[0][1]) if len(branches) == 1 else None


def liftable(old: View, new: View) -> bool:
    """Whether one side is only a union and the other a constraining schema without any."""

    def plain(view: View) -> bool:
        return bool(assertions(view)) and not any(k in view for k in UNIONS)

    return bool((lone_union(new) and plain(old)) or (lone_union(old) and plain(new)))


def compare_lifted(ctx: WalkContext, old_node: Any, old: View, new_node: Any, new: View) -> PairGen:
    """A plain schema facing a lone union: compared as a one-branch union of the same kind."""
    kind = lone_union(new) or lone_union(old)
    assert kind is not None
    itself: Branches = [(None, old_node if kind in new else new_node)]
    olds = _distinct(kind, old[kind]) if kind in old else itself
    news = _distinct(kind, new[kind]) if kind in new else itself
    return (yield from _branches(ctx, kind, olds, kind, news))


def _title(resolver: SchemaResolver, node: Any) -> str | None:
    view = resolver.view(node)
    title = view.get("title") if view is not False else None
    return title if isinstance(title, str) else None


def _similar(titles: tuple[str | None, str | None], changes: list[Change]) -> bool:
    if any(c.path == () and c.rule_id in _ROOT_CLASH for c in changes):
        return False
    return None in titles or titles[0] == titles[1]


def _pair(
    ctx: WalkContext, olds: Branches, news: Branches, diffs: dict[tuple[int, int], list[Change]]
) -> list[tuple[int, int]]:
    diagonal = [(a, a) for a in range(min(len(olds), len(news)))]
    if len(olds) == len(news) and all(not diffs[pair] for pair in diagonal):
        return diagonal  # every pair of equal position unchanged: no matching weighs more
    most = min(len(olds), len(news)) + 1
    cost_bound = sum(len(d) for d in diffs.values()) + len(olds) + len(news) + 1
    similar_w = cost_bound * most
    semantic_w = similar_w * most * 2
    confluent_w = semantic_w * most * 2
    old_titles = [_title(ctx.old, node) for _, node in olds]
    new_titles = [_title(ctx.new, node) for _, node in news]
    weights = []
    for a in range(len(olds)):
        row = []
        for b in range(len(news)):
            changes = diffs[a, b]
            confluent_ok, semantic_ok = ctx.acceptable(changes)
            if not (confluent_ok or semantic_ok or _similar((old_titles[a], new_titles[b]), changes)):
                row.append(0)
                continue
            cost = len(changes) + abs(a - b)
            row.append(confluent_ok * confluent_w + semantic_ok * semantic_w + similar_w - cost)
        weights.append(row)
    return max_weight_matching(weights)


def _name(resolver: SchemaResolver, node: Any, index: int | None) -> str:
    title = _title(resolver, node)
    if title:
        return f'"{title}"'
    ref = node.get("$ref") if isinstance(node, dict) else None
    if isinstance(ref, str):
        return '"' + ref.rsplit("/", 1)[-1] + '"'
    return f"#{index or 0}"


def _disjoint_from_rest(resolver: SchemaResolver, branches: Branches, at: int) -> bool:
    return all(
        provably_disjoint(branches[at][1], b, resolver) for k, (_, b) in enumerate(branches) if k != at
    )


def _one_sided(ctx: WalkContext, kind: str, branches: Branches, at: int, added: bool) -> Change:
    resolver = ctx.new if added else ctx.old
    index, node = branches[at]
    path = (kind, str(index)) if index is not None else ()
    name = _name(resolver, node, index)
    verb, where, rule_verb = ("added", "to", "ADDED") if added else ("removed", "from", "REMOVED")
    if kind == "allOf":
        return Change(f"ALL_OF_MEMBER_{rule_verb}", path, f"Member {name} was {verb} {where} `allOf`")
    if kind == "anyOf":
        return Change(f"ANY_OF_BRANCH_{rule_verb}", path, f"Branch {name} was {verb} {where} `anyOf`")
    if _disjoint_from_rest(resolver, branches, at):
        return Change(f"ONE_OF_BRANCH_{rule_verb}", path, f"Branch {name} was {verb} {where} `oneOf`")
    text = f"Branch {name} that may overlap another was {verb} {where} `oneOf`"
    return Change(f"ONE_OF_OVERLAPPING_BRANCH_{rule_verb}", path, text)


def _branches(ctx: WalkContext, old_kind: str, olds: Branches, new_kind: str, news: Branches) -> PairGen:
    diffs: dict[tuple[int, int], list[Change]] = {}
    for a in range(min(len(olds), len(news))):  # same positions first: unchanged ones settle it
        diffs[a, a] = yield Nested(olds[a][1], news[a][1])
    if len(olds) != len(news) or any(diffs.values()):
        for a, (_, old) in enumerate(olds):
            for b, (_, new) in enumerate(news):
                if (a, b) not in diffs:
                    diffs[a, b] = yield Nested(old, new)
    pairs = _pair(ctx, olds, news, diffs)
    changes: list[Change] = []
    for a, b in sorted(pairs, key=lambda pair: pair[1]):
        index = news[b][0]
        path = (new_kind, str(index)) if index is not None else ()
        changes += [change.under(path) for change in diffs[a, b]]
    paired_old, paired_new = {a for a, _ in pairs}, {b for _, b in pairs}
    changes += [_one_sided(ctx, new_kind, news, b, True) for b in range(len(news)) if b not in paired_new]
    changes += [_one_sided(ctx, old_kind, olds, a, False) for a in range(len(olds)) if a not in paired_old]
    return changes


def _pairwise_disjoint(resolver: SchemaResolver, branches: Branches) -> bool:
    return all(_disjoint_from_rest(resolver, branches, at) for at in range(len(branches)))


def _criterion(ctx: WalkContext, old_kind: str, olds: Branches, new_kind: str, news: Branches) -> Change:
    text = f"`{old_kind}` became `{new_kind}`"
    if new_kind == "anyOf":
        if old_kind == "oneOf" and _pairwise_disjoint(ctx.old, olds):
            return Change("ONE_OF_RESPELLED_AS_ANY_OF", (), text + " over disjoint branches")
        return Change("COMBINATOR_RELAXED", (), text)
    if old_kind == "anyOf":
        if new_kind == "oneOf" and _pairwise_disjoint(ctx.new, news):
            return Change("ANY_OF_RESPELLED_AS_ONE_OF", (), text + " over disjoint branches")
        return Change("COMBINATOR_TIGHTENED", (), text)
    return Change("COMBINATOR_CHANGED", (), text)


def compare_combinators(ctx: WalkContext, old: View, new: View) -> PairGen:
    old_kinds = [k for k in UNIONS if isinstance(old.get(k), list)]
    new_kinds = [k for k in UNIONS if isinstance(new.get(k), list)]
    if len(old_kinds) == 1 and len(new_kinds) == 1 and old_kinds != new_kinds:
        ok, nk = old_kinds[0], new_kinds[0]
        olds, news = _distinct(ok, old[ok]), _distinct(nk, new[nk])
        return [_criterion(ctx, ok, olds, nk, news), *(yield from _branches(ctx, ok, olds, nk, news))]
    changes: list[Change] = []
    for kind in UNIONS:
        if kind in old_kinds and kind in new_kinds:
            changes += yield from _branches(
                ctx, kind, _distinct(kind, old[kind]), kind, _distinct(kind, new[kind])
            )
        elif kind in new_kinds:
            text = f"`{kind}` with {len(new[kind])} branch(es) was added"
            changes.append(Change("COMBINATOR_ADDED", (), text))
        elif kind in old_kinds:
            text = f"`{kind}` with {len(old[kind])} branch(es) was removed"
            changes.append(Change("COMBINATOR_REMOVED", (), text))
    return changes
