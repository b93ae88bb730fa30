"""Payload schemas of every shape the schema lint allows.

`payload_shapes()` draws small payload schemas from the keyword vocabulary the lint admits
(`doran.codegen.lint.MODEL_KEYWORDS`); `schema_tree` writes a schemas/ folder holding them as topics
beside the envelope, the common value types and the dead-letter topic, for `support.generated`.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from doran.schema_source.schema_set import DRAFT_2020_12

__all__ = ["payload_shapes", "schema_tree", "shape_topic"]

REPO = Path(__file__).resolve().parents[2]
_COMMON = "../common.schema.json#/$defs/"
_NAMES = (
    "alpha",
    "beta",
    "gamma",
    "delta",
    "count",
    "label",
    "code",
    "flag",
    "note",
    "size",
    "kind",
    "level",
)
_PATTERNS = ("^[a-z]+$", "^[A-Za-z0-9][A-Za-z0-9._:-]*$", "^x", "[0-9]$", "^(?:a|bb)$", "^[0-9]{2,4}$")
_COMMON_USES: tuple[dict[str, Any], ...] = (
    {"$ref": _COMMON + "U128"},
    {"$ref": _COMMON + "AssetId"},
    {"$ref": _COMMON + "QuoteId"},
    {"$ref": _COMMON + "Milliseconds"},
    {"type": "string", "$ref": _COMMON + "Timestamp"},
    {"type": ["string", "null"], "$ref": _COMMON + "Timestamp"},
    {"type": ["string", "null"], "$ref": _COMMON + "Base58Hash"},
    # Keywords beside a $ref narrow its target (both hold), whichever bound is tighter.
    {"$ref": _COMMON + "QuoteId", "maxLength": 5},
    {"$ref": _COMMON + "Milliseconds", "minimum": 5_000_000, "maximum": 90_000_000},
    {"type": ["string", "null"], "$ref": _COMMON + "Timestamp", "maxLength": 24},
)


def _string() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"type": st.just("string")},
        optional={
            "minLength": st.integers(0, 3),
            "maxLength": st.integers(3, 8),
            "pattern": st.sampled_from(_PATTERNS),
        },
    )


def _integer() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"type": st.just("integer")},
        optional={
            "minimum": st.integers(-10, 0) | st.just(-(2**70)),
            "maximum": st.integers(0, 100) | st.just(2**70),
        },
    )


def _values() -> st.SearchStrategy[dict[str, Any]]:
    strings = st.lists(st.sampled_from(["a", "b", "c-d", "E_1", "x y"]), min_size=1, max_size=4, unique=True)
    return st.one_of(
        strings.map(lambda values: {"type": "string", "enum": values}),
        st.lists(st.integers(-3, 3), min_size=1, max_size=3, unique=True).map(
            lambda values: {"type": "integer", "enum": values}
        ),
        st.sampled_from(["x", 1, True, None]).map(lambda value: {"const": value}),
    )


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    kind = schema.get("type")
    return {**schema, "type": [kind, "null"]} if isinstance(kind, str) and kind != "null" else schema


def _leaf() -> st.SearchStrategy[dict[str, Any]]:
    plain = st.one_of(
        _string(),
        _integer(),
        st.just({"type": "boolean"}),
        st.just({"type": "null"}),
        _values(),
        st.sampled_from(_COMMON_USES),
        st.just({"type": ["string", "integer"], "maxLength": 4, "maximum": 9}),
    )
    return st.one_of(plain, plain.map(_nullable))


def _properties(inner: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        names = draw(st.lists(st.sampled_from(_NAMES), min_size=1, max_size=4, unique=True))
        properties = {n: {"description": f"Generated field {n}.", **draw(inner)} for n in names}
        required = [n for n in names if draw(st.booleans())]
        return {"properties": properties, "required": required} if required else {"properties": properties}

    return build()


def _object(inner: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    content = st.one_of(
        st.just({"additionalProperties": False}),
        st.just({"additionalProperties": True}),
        st.just({"x-doran-open": "Generated: open on purpose."}),
        _leaf().map(lambda extra: {"additionalProperties": extra}),
    )
    return st.builds(lambda model, body: {"type": "object", **model, **body}, content, _properties(inner))


def _node() -> st.SearchStrategy[dict[str, Any]]:
    def extend(inner: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
        array = st.fixed_dictionaries(
            {"type": st.just("array"), "items": inner},
            optional={"minItems": st.integers(0, 2), "maxItems": st.integers(2, 4)},
        )
        branches = st.lists(inner, min_size=2, max_size=3)
        # Branches of differing types are more often disjoint, which the lint asks of a oneOf.
        typed_apart = st.lists(inner, min_size=2, max_size=3, unique_by=lambda b: str(b.get("type")))
        return st.one_of(
            array,
            _object(inner),
            typed_apart.map(lambda b: {"oneOf": b}),
            branches.map(lambda b: {"anyOf": b}),
        )

    return st.recursive(_leaf(), extend, max_leaves=6)


def _closed_object(
    title: str, node: st.SearchStrategy[dict[str, Any]], variant: bool = False
) -> st.SearchStrategy[dict[str, Any]]:
    """A closed object titled `title`; with `variant`, a required "variant" property set to the title
    (what keeps branches of a oneOf apart)."""

    def close(body: dict[str, Any]) -> dict[str, Any]:
        if variant:
            body = {
                "properties": {
                    "variant": {"description": "Which branch.", "const": title},
                    **body["properties"],
                },
                "required": ["variant", *body.get("required", [])],
            }
        return {
            "title": title,
            "description": f"Generated shape {title}.",
            "type": "object",
            "additionalProperties": False,
            **body,
        }

    return _properties(node).map(close)


@st.composite
def payload_shapes(draw: st.DrawFn, title: str, branches: bool = True) -> dict[str, Any]:
    """A payload schema titled `title`: a closed object, or (with `branches`) a oneOf of closed
    objects in $defs (which may overlap: the lint refuses those)."""
    node = _node()
    if not branches or draw(st.booleans()):
        body: dict[str, Any] = draw(_closed_object(title, node))
        body.pop("title")
        body.pop("description")
    else:
        names = [f"{title}Branch{i}" for i in range(draw(st.integers(2, 3)))]
        variants = draw(st.integers(0, 9)) > 0
        body = {
            "oneOf": [{"$ref": f"#/$defs/{name}"} for name in names],
            "$defs": {name: draw(_closed_object(name, node, variants)) for name in names},
        }
    return {
        "$schema": DRAFT_2020_12,
        "$id": f"https://schemas.doran.dev/v1/payloads/{title}.schema.json",
        "title": title,
        "description": f"Payload {title}, generated.",
        **body,
    }


def shape_topic(title: str) -> str:
    """The topic a generated payload titled `title` travels on (ShapeT0 -> shape.t0)."""
    return "shape." + title.removeprefix("Shape").lower()


def schema_tree(root: Path, payloads: list[dict[str, Any]]) -> Path:
    """A schemas/ folder under root: the repository's envelope, common types and dead-letter topic,
    and one topic per payload (named by `shape_topic` after its title). Returns the folder."""
    schemas = root / "schemas"
    (schemas / "payloads").mkdir(parents=True)
    for name in ("common.schema.json", "envelope.schema.json", "topics.schema.json", "migration.schema.json"):
        shutil.copy(REPO / "schemas" / name, schemas / name)
    registry = json.loads((REPO / "schemas/topics.json").read_text())
    dead_letters = next(t for t in registry["topics"] if t["name"] == registry["dead_letter_topic"])
    shutil.copy(REPO / "schemas" / dead_letters["payload_schema"], schemas / dead_letters["payload_schema"])
    topics = [dead_letters]
    for payload in payloads:
        name, title = shape_topic(payload["title"]), payload["title"]
        path = f"payloads/{title}.schema.json"
        (schemas / path).write_text(json.dumps(payload, indent=2))
        topics.append(
            {
                **dead_letters,
                "name": name,
                "event_type": name.replace(".", "_"),
                "payload_schema": path,
                "key": "${event_id}",
                "description": f"Generated topic {name}.",
            }
        )
    registry |= {"topics": topics, "venue_messages": []}
    (schemas / "topics.json").write_text(json.dumps(registry, indent=2))
    return schemas
