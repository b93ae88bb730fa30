"""Walk two schemas side by side and list every change as (rule ID, JSON pointer, sentence).

Nodes are compared by resolved content, so renaming a `$ref` target with equal content is no change.
Each (old node, new node) pair is compared once per pass (memoized) on an explicit stack of
generators (see `doran.compat.context`), so no schema is too deep for Python's stack.

A pair met again while it is still being compared is a reference cycle. As in Confluent's
SchemaDiff, the first pass assumes such a pair unchanged; results computed under that assumption
can be wrong (a pair memoized as unchanged while the pair it cycles back to later proves changed),
so when a pass made the assumption, the next pass starts over with every pair found changed
seeded: a cycle re-entering a seeded pair gets its changes, marked as an echo of that pair, instead
of nothing. The passes stop when the set of changed pairs no longer grows. An echo is dropped when
the pair it echoes finishes (that pair reports the change itself), and kept where a memoized result
is reused elsewhere, where it is a real change reached another way. A change reached along several
paths (a definition used in many places) is reported once, at the first path the walk met.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from doran.compat.change import Change
from doran.compat.context import Nested, PairGen
from doran.compat.judge import breaks, effects
from doran.compat.resolver import SchemaResolver
from doran.compat.walk_node import compare_nodes

__all__ = ["Walker"]

_MAX_PASSES = 64  # the seed grows with each pass and is bounded by the pairs; this only guards
_SWAP = {"backward": "forward", "forward": "backward"}

Key = tuple[int, int, bool]


@dataclass
class _Frame:
    key: Key
    old: Any
    new: Any
    generator: PairGen
    pending: Nested = field(default_factory=lambda: Nested(None, None))


class Walker:
    """Diffs one previous schema against one current schema.

    `directions` and `policy` only steer how union branches are paired (pairs that keep those
    directions compatible first); every change is reported whatever the mode.
    """

    def __init__(
        self,
        old_root: Mapping[str, Any],
        new_root: Mapping[str, Any],
        labels: tuple[str, str],
        *,
        directions: Sequence[str] = ("backward", "forward"),
        policy: str = "STRICT",
    ) -> None:
        self._old = SchemaResolver(old_root, labels[0])
        self._new = SchemaResolver(new_root, labels[1])
        self._directions = tuple(directions)
        self._policy = policy
        self._memo: dict[Key, tuple[Any, Any, list[Change]]] = {}
        self._active: set[Key] = set()
        self._seed: dict[Key, list[Change]] = {}
        self._optimistic = False
        self._flipped = False
        self._verdicts: dict[tuple[int, bool], tuple[Sequence[Change], tuple[bool, bool]]] = {}

    @property
    def old(self) -> SchemaResolver:
        return self._old

    @property
    def new(self) -> SchemaResolver:
        return self._new

    @property
    def policy(self) -> str:
        return self._policy

    def acceptable(self, changes: Sequence[Change]) -> tuple[bool, bool]:
        if not changes:
            return True, True
        cached = self._verdicts.get((id(changes), self._flipped))
        if cached is not None and cached[0] is changes:
            return cached[1]
        verdict = self._judge(changes)
        self._verdicts[(id(changes), self._flipped)] = (changes, verdict)
        return verdict

    def _judge(self, changes: Sequence[Change]) -> tuple[bool, bool]:
        directions = [_SWAP[d] for d in self._directions] if self._flipped else self._directions
        confluent_ok = semantic_ok = True
        for change in changes:
            confluent, semantic = effects(change, self._policy)
            confluent_ok = confluent_ok and not breaks(confluent, directions)
            semantic_ok = semantic_ok and not breaks(semantic, directions)
        return confluent_ok, semantic_ok

    def run(self) -> list[Change]:
        """Every change from the previous root to the current root."""
        seed: dict[Key, list[Change]] = {}
        changes: list[Change] = []
        for _ in range(_MAX_PASSES):
            self._memo, self._active, self._seed, self._optimistic = {}, set(), seed, False
            changes = self._walk(Nested(self._old.root, self._new.root))
            changed = {key: found for key, (_, _, found) in self._memo.items() if found}
            if not self._optimistic or changed.keys() == seed.keys():
                break
            seed = changed
        return changes

    def _walk(self, root: Nested) -> list[Change]:
        entered = self._enter(root, False)
        if isinstance(entered, list):
            return entered
        stack = [entered]
        sent: list[Change] | None = None
        while True:
            frame = stack[-1]
            self._flipped = frame.key[2]
            try:
                request = frame.generator.send(sent)  # type: ignore[arg-type]  # None starts it
            except StopIteration as stop:
                changes = self._finish(frame, stop.value)
                stack.pop()
                if not stack:
                    return changes
                sent = self._place(stack[-1].pending, changes)
                continue
            frame.pending = request
            child = self._enter(request, frame.key[2] ^ request.flip)
            if isinstance(child, list):
                sent = self._place(request, child)
            else:
                stack.append(child)
                sent = None

    def _enter(self, request: Nested, flipped: bool) -> _Frame | list[Change]:
        old_node, new_node = self._old.identity(request.old), self._new.identity(request.new)
        key = (id(old_node), id(new_node), flipped)
        hit = self._memo.get(key)
        if hit is not None:
            return hit[2]
        if key in self._active:
            seeded = self._seed.get(key)
            if seeded is not None:
                return [Change(c.rule_id, c.path, c.text, c.flipped, c.inert, c.origin, key) for c in seeded]
            self._optimistic = True
            return []
        self._active.add(key)
        return _Frame(key, old_node, new_node, compare_nodes(self, old_node, new_node))

    def _finish(self, frame: _Frame, changes: list[Change]) -> list[Change]:
        kept: list[Change] = []
        seen: set[tuple[Any, ...]] = set()
        for change in changes:
            if change.echo == frame.key:
                continue
            if change.origin is None:
                change = Change(
                    change.rule_id,
                    change.path,
                    change.text,
                    change.flipped,
                    change.inert,
                    (frame.key, change.path),
                    change.echo,
                )
            identity = (change.origin, change.rule_id, change.flipped, change.inert)
            if identity not in seen:  # one change reached along several paths is reported at the first
                seen.add(identity)
                kept.append(change)
        self._active.discard(frame.key)
        self._memo[frame.key] = (frame.old, frame.new, kept)
        return kept

    @staticmethod
    def _place(request: Nested, changes: list[Change]) -> list[Change]:
        if not request.path and not request.flip and not request.inert:
            return changes  # shared, never mutated: callers build new lists
        return [change.under(request.path, flip=request.flip, inert=request.inert) for change in changes]
