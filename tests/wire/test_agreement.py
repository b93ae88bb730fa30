"""The fast path agrees with the reference validator on generated valid and invalid messages.

Instances come from hypothesis-jsonschema (valid by construction, as Python's `re` reads the
patterns) and from mutations of them; the test trusts neither source and compares outcomes.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from doran.contracts import TOPICS, VENUE_MESSAGES, bundled_schema
from doran.wire import ContractViolation, decode, decode_venue_message, violations

_JSON = st.recursive(
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
def _mutated(draw: st.DrawFn, schema: dict[str, Any]) -> Any:
    instance = draw(from_schema(schema))
    paths = _paths(instance)
    if not paths:
        return instance
    path = draw(st.sampled_from(paths))
    parent = instance
    for step in path[:-1]:
        parent = parent[step]
    action = draw(st.sampled_from(["replace", "delete", "extra"]))
    if action == "replace":
        parent[path[-1]] = draw(_JSON)
    elif action == "delete" and isinstance(parent, dict):
        del parent[path[-1]]
    elif isinstance(parent, dict):
        parent[draw(st.text(min_size=1, max_size=6))] = draw(_JSON)
    return instance


def _agree(name: str, instance: Any) -> bool:
    data = json.dumps(instance).encode()
    oracle_valid = violations(name, instance) == []
    try:
        if name in TOPICS:
            decode(TOPICS[name], data)
        else:
            decode_venue_message(VENUE_MESSAGES[name], json.loads(data))
        fast_valid = True
    except ContractViolation:
        fast_valid = False
    assert fast_valid == oracle_valid, f"fast path says {fast_valid}, reference says {oracle_valid}: {data!r}"
    return oracle_valid


@pytest.mark.parametrize("topic", [*TOPICS, *VENUE_MESSAGES])
def test_fast_path_and_reference_agree_on_generated_messages(topic: str) -> None:
    schema = bundled_schema(topic)
    outcomes: set[bool] = set()

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.one_of(from_schema(schema), _mutated(schema)))
    def check(instance: Any) -> None:
        outcomes.add(_agree(topic, instance))

    check()
    assert outcomes == {True, False}, "the run must compare both valid and invalid messages"
