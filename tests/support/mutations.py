"""Instances near a schema's boundary: valid ones from hypothesis-jsonschema, each maybe changed once.

One value replaced by arbitrary JSON, one property deleted, or one unexpected property added: what a
producer's bug or a hostile record does. The result may or may not be valid; tests compare verdicts.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

__all__ = ["ANY_JSON", "near_instances"]

ANY_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=5,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


@st.composite
def _mutated(draw: st.DrawFn, valid: st.SearchStrategy[Any]) -> Any:
    instance = draw(valid)
    paths = _paths(instance)
    if not paths:
        return instance
    path = draw(st.sampled_from(paths))
    parent = instance
    for step in path[:-1]:
        parent = parent[step]
    action = draw(st.sampled_from(["replace", "delete", "extra"]))
    if action == "replace":
        parent[path[-1]] = draw(ANY_JSON)
    elif action == "delete" and isinstance(parent, dict):
        del parent[path[-1]]
    elif isinstance(parent, dict):
        parent[draw(st.text(min_size=1, max_size=6))] = draw(ANY_JSON)
    return instance


def near_instances(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Valid instances of schema, and instances one change away from valid ones."""
    valid = from_schema(schema)
    return st.one_of(valid, _mutated(valid))
