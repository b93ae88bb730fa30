"""Inlining: a bundled schema becomes one document without references that accepts the same messages."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from jsonschema import Draft202012Validator
from support import golden

from doran.contracts import TOPICS, bundled_schema
from doran.publish.errors import InliningError
from doran.publish.inline import canonical_text, inline_schema, unsupported_keywords


@pytest.mark.parametrize("topic", list(TOPICS))
def test_every_topic_inlines_to_a_valid_reference_free_schema(topic: str) -> None:
    inlined = inline_schema(bundled_schema(topic))

    Draft202012Validator.check_schema(inlined)
    assert unsupported_keywords(inlined) == []
    assert "$ref" not in canonical_text(inlined)
    assert inlined["$id"] == bundled_schema(topic)["$id"]


def test_inlined_and_bundled_schemas_agree_on_every_golden_example() -> None:
    checked = 0
    for example in golden.golden_examples():
        try:
            message = json.loads(example.data)
        except ValueError:
            continue
        bundled = Draft202012Validator(bundled_schema(example.topic)).is_valid(message)
        inlined = Draft202012Validator(inline_schema(bundled_schema(example.topic))).is_valid(message)
        assert inlined == bundled, example.id
        checked += 1
    assert checked >= 10


@pytest.mark.slow
@pytest.mark.parametrize("topic", list(TOPICS))
def test_inlined_schema_accepts_what_the_bundled_schema_generates(topic: str) -> None:
    inlined = Draft202012Validator(inline_schema(bundled_schema(topic)))

    @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
    @given(from_schema(bundled_schema(topic)))
    def accepts(message: Any) -> None:
        assert inlined.is_valid(message)

    accepts()


def test_sibling_annotations_describe_the_use_site() -> None:
    schema = {
        "properties": {
            "at": {"description": "When it happened.", "type": ["string", "null"], "$ref": "#/$defs/T"}
        },
        "$defs": {"T": {"title": "T", "description": "A timestamp.", "pattern": "^x$"}},
    }
    assert inline_schema(schema) == {
        "properties": {
            "at": {
                "title": "T",
                "description": "When it happened.",
                "pattern": "^x$",
                "type": ["string", "null"],
            }
        }
    }


def test_conflicting_siblings_become_allof() -> None:
    schema = {"$ref": "#/$defs/S", "type": "integer", "$defs": {"S": {"type": "string"}}}
    # The keywords beside the $ref stay where they are; the target becomes an allOf member.
    assert inline_schema(schema) == {"type": "integer", "allOf": [{"type": "string"}]}


def test_interacting_keywords_are_not_merged() -> None:
    # Merging would let the target's additionalProperties see the sibling's properties.
    schema = {
        "$ref": "#/$defs/Closed",
        "properties": {"b": {"type": "integer"}},
        "$defs": {"Closed": {"properties": {"a": {}}, "additionalProperties": False}},
    }
    inlined = inline_schema(schema)
    assert inlined == {
        "properties": {"b": {"type": "integer"}},
        "allOf": [{"properties": {"a": {}}, "additionalProperties": False}],
    }
    assert Draft202012Validator(inlined).is_valid({"b": 1}) == Draft202012Validator(schema).is_valid({"b": 1})


def test_escaped_pointers_resolve() -> None:
    schema = {"$ref": "#/$defs/a~1b~0c%20d", "$defs": {"a/b~c d": {"const": 1}}}
    assert inline_schema(schema) == {"const": 1}


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        ({"$ref": "#/$defs/Node", "$defs": {"Node": {"items": {"$ref": "#/$defs/Node"}}}}, "is recursive"),
        ({"$ref": "#"}, "document root"),
        ({"$ref": "common.schema.json#/$defs/U128"}, "points outside the document"),
        ({"$ref": "#/$defs/Missing", "$defs": {}}, "does not resolve"),
        ({"$dynamicRef": "#node"}, '"$dynamicRef" cannot be inlined'),
        ({"dependentRequired": {"a": ["b"]}}, "/dependentRequired, which Redpanda rejects"),
    ],
)
def test_what_cannot_be_inlined_is_refused(schema: dict[str, Any], message: str) -> None:
    with pytest.raises(InliningError, match=message.replace("$", r"\$")):
        inline_schema(schema)


def test_property_names_are_not_mistaken_for_keywords() -> None:
    schema = {"properties": {"prefixItems": {"type": "string"}, "$defs": {"type": "string"}}}
    assert unsupported_keywords(schema) == []
    assert unsupported_keywords({"items": [{"prefixItems": []}]}) == ["/items/0/prefixItems"]


@given(st.dictionaries(st.sampled_from(["b", "a", "c"]), st.integers(), max_size=3))
def test_canonical_text_ignores_key_order(schema: dict[str, int]) -> None:
    reordered = dict(reversed(list(schema.items())))
    assert canonical_text(schema) == canonical_text(reordered)
