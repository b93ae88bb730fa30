"""The fast path agrees with the reference validator on generated valid and invalid messages.

Instances come from hypothesis-jsonschema (valid by construction, as Python's `re` reads the
patterns) and from mutations of them; the test trusts neither source and compares outcomes.
tests/codegen/test_schema_shapes.py makes the same comparison over generated schemas.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from support.mutations import near_instances

from doran.contracts import TOPICS, VENUE_MESSAGES, bundled_schema
from doran.wire import ContractViolation, decode, decode_venue_message, violations


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
    @given(near_instances(schema))
    def check(instance: Any) -> None:
        outcomes.add(_agree(topic, instance))

    check()
    assert outcomes == {True, False}, "the run must compare both valid and invalid messages"
