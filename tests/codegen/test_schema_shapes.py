"""The generated models refuse exactly what the bundled schema refuses, for any schema the lint allows.

Hypothesis draws small payload schemas from the lint's keyword vocabulary, `make codegen`'s
renderer turns them into a package in a temporary folder, and every drawn instance (valid, or one
change away from valid) gets the same verdict from the models and from the reference validator.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from support.generated import generated_package
from support.mutations import near_instances
from support.schema_shapes import payload_shapes, schema_tree, shape_topic

from doran.codegen.lint import lint
from doran.schema_source.schema_set import load_schema_set
from doran.wire.reference import ecma_validator

pytestmark = pytest.mark.slow
_INSTANCES_PER_SHAPE = 10


def _shape_sets() -> st.SearchStrategy[list[dict[str, Any]]]:
    @st.composite
    def build(draw: st.DrawFn) -> list[dict[str, Any]]:
        return [draw(payload_shapes(f"ShapeT{i}")) for i in range(draw(st.integers(1, 3)))]

    return build()


def _verdicts(model: Any, schema: dict[str, Any], instance: Any) -> tuple[bool, bool, bool]:
    """(strict fast path, decode's fallback, reference) verdicts on one instance."""
    data = json.dumps(instance).encode()
    reference = ecma_validator(schema).is_valid(instance)
    try:
        model.__pydantic_validator__.validate_json(data, strict=True)
        fast = True
    except ValidationError:
        fast = False
    lax = fast
    if not fast and reference:  # decode then lets the lax model coerce what the reference accepted
        try:
            model.model_validate(instance)
            lax = True
        except ValidationError:
            lax = False
    return fast, lax, reference


def _allowed(shapes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The shapes the lint finds nothing in (the generator also draws some it refuses)."""
    with tempfile.TemporaryDirectory() as folder:
        findings = lint(load_schema_set(schema_tree(Path(folder), shapes)))
    refused = {f.file for f in findings if f.rule != "GOLDEN_EXAMPLES"}
    return [shape for shape in shapes if f"payloads/{shape['title']}.schema.json" not in refused]


def check_shapes(shapes: list[dict[str, Any]], draw: Any) -> bool:
    """Render the shapes the lint allows into a package, then compare verdicts on instances `draw`
    takes from a strategy; False (nothing compared) when the lint refuses every shape."""
    shapes = _allowed(shapes)
    if not shapes:
        return False
    with tempfile.TemporaryDirectory() as folder:
        tree = schema_tree(Path(folder), shapes)
        package = generated_package(tree)
        for shape in shapes:
            name = shape_topic(shape["title"])
            schema, model = package.bundled_schema(name), package.TOPICS[name].event_model
            instances = near_instances(schema)
            for _ in range(_INSTANCES_PER_SHAPE):
                instance = draw(instances)
                fast, decoded, reference = _verdicts(model, schema, instance)
                shown = json.dumps(instance)
                assert not (fast and not reference), (
                    f"{name}: the models accept what the schema refuses: {shown}"
                )
                assert decoded == reference, f"{name}: decode says {decoded}, the schema {reference}: {shown}"
    return True


@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(shapes=_shape_sets(), data=st.data())
def test_models_and_schema_agree_on_generated_shapes(
    shapes: list[dict[str, Any]], data: st.DataObject
) -> None:
    assume(check_shapes(shapes, data.draw))


_TRAPS = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://schemas.doran.dev/v1/payloads/ShapeTraps.schema.json",
    "title": "ShapeTraps",
    "description": "Schemas datamodel-codegen misread before doran's codegen spelled them out.",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "alpha": {"description": "May be absent, never null.", "type": "integer"},
        "beta": {
            "description": "null is listed, the enum leaves it out.",
            "type": ["integer", "null"],
            "enum": [3],
        },
        "gamma": {"description": "A repeated branch.", "anyOf": [{"type": "null"}, {"type": "null"}]},
        "delta": {
            "description": "Tighter than its $ref.",
            "$ref": "../common.schema.json#/$defs/QuoteId",
            "maxLength": 3,
        },
    },
}


@pytest.mark.parametrize(
    ("payload", "valid"),
    [
        ({}, True),
        ({"alpha": 1, "beta": 3, "gamma": None, "delta": "q-1"}, True),
        ({"alpha": None}, False),
        ({"beta": None}, False),
        ({"gamma": {"x": 1}}, False),
        ({"delta": "q-12"}, False),
        ({"epsilon": 87_000_000}, False),
    ],
)
def test_schemas_the_generator_misread_are_spelled_out(
    payload: dict[str, Any], valid: bool, traps_package: Any
) -> None:
    message = {
        "event_id": "e-1",
        "event_type": "shape_traps",
        "venue": "near_intents",
        "source": None,
        "schema_version": 1,
        "observed_at": None,
        "ingested_at": "2026-01-01T00:00:00Z",
        "payload": payload,
        "raw": {},
    }
    name = shape_topic("ShapeTraps")
    schema, model = traps_package.bundled_schema(name), traps_package.TOPICS[name].event_model
    assert _verdicts(model, schema, message) == (valid, valid, valid)


@pytest.fixture(scope="module")
def traps_package(tmp_path_factory: pytest.TempPathFactory) -> Any:
    tree = schema_tree(tmp_path_factory.mktemp("traps"), [_TRAPS])
    return generated_package(tree)
