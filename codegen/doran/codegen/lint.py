"""`doran contracts lint`: the conventions every doran schema keeps, checked with file + JSON pointer.

Conventions: $id/title/description on every schema; a description on every property; objects
closed unless `x-doran-open` states why; amounts are U128 strings, asset ids AssetId, `*_at`
timestamps Timestamp; no JSON numbers except integers; only keywords the generated models enforce;
oneOf branches that exclude each other; every topic has valid and invalid golden examples that
behave as they claim; a topic that cannot gain an optional field under its compatibility mode
and content model says why (`frozen` in topics.json).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from doran.codegen.finding import LintFinding
from doran.codegen.lint_evolution import lint_evolution
from doran.codegen.nodes import schema_nodes
from doran.compat.disjoint import provably_disjoint
from doran.compat.resolver import SchemaResolver
from doran.json_pointer import pointer
from doran.schema_source.refs import ANNOTATIONS
from doran.schema_source.schema_set import SchemaFile, SchemaSet

__all__ = ["EXAMPLES_DIR", "MODEL_KEYWORDS", "LintFinding", "lint"]

EXAMPLES_DIR = "examples"
_FIELD_REFS = {"amount": "U128", "asset": "AssetId"}
# What a doran schema may say: the keywords codegen turns into models that refuse exactly what the
# schema refuses (tests/codegen/test_schema_shapes.py proves it over generated schemas), and
# annotations. Anything else (format, not, if/then, uniqueItems...) the models would not enforce.
MODEL_KEYWORDS = ANNOTATIONS | {
    "$ref", "type", "const", "enum", "properties", "required", "additionalProperties", "items",
    "minItems", "maxItems", "minLength", "maxLength", "pattern", "minimum", "maximum", "oneOf", "anyOf",
}  # fmt: skip


def lint(schemas: SchemaSet) -> list[LintFinding]:
    """Every convention broken anywhere in schemas/, sorted by file and pointer."""
    findings = [f for schema_file in schemas.files.values() for f in _lint_file(schemas, schema_file)]
    findings += _lint_examples(schemas)
    findings += lint_evolution(schemas)
    return sorted(findings)


def _lint_file(schemas: SchemaSet, schema_file: SchemaFile) -> Iterator[LintFinding]:
    doc = schema_file.document
    for key in ("$id", "title", "description"):
        if not doc.get(key):
            yield LintFinding(schema_file.path, f"/{key}", "SCHEMA_METADATA", f"every schema needs a {key}")
    others = [(f.id, f.document) for f in schemas.files.values() if f is not schema_file]
    resolver = SchemaResolver(doc, schema_file.path, others)
    for path, node in schema_nodes(doc):
        yield from _lint_node(schema_file.path, resolver, node, list(path))


def _lint_node(
    file: str, resolver: SchemaResolver, node: dict[str, Any], path: list[Any]
) -> Iterator[LintFinding]:
    here = pointer(path)
    for keyword in sorted(set(node) - MODEL_KEYWORDS):
        if not keyword.startswith("x-"):
            yield LintFinding(
                file,
                pointer([*path, keyword]),
                "MODEL_KEYWORDS",
                f'"{keyword}" is outside the vocabulary the generated models enforce, so the fast path '
                "would accept what the schema refuses; state the rule with "
                + ", ".join(sorted(MODEL_KEYWORDS - ANNOTATIONS)),
            )
    if node.get("type") == "number" or (isinstance(node.get("type"), list) and "number" in node["type"]):
        yield LintFinding(
            file, here, "NO_FLOATS", "JSON numbers may be floats; use integer, or a U128 string for money"
        )
    if node.get("type") == "object" and "additionalProperties" not in node and "x-doran-open" not in node:
        yield LintFinding(
            file,
            here,
            "CLOSED_OBJECTS",
            'object is open: add "additionalProperties": false or state why in "x-doran-open"',
        )
    branches = node.get("oneOf") or []
    for i, j in itertools.combinations(range(len(branches)), 2):
        if not provably_disjoint(branches[i], branches[j], resolver):
            yield LintFinding(
                file,
                pointer([*path, "oneOf", j]),
                "DISJOINT_ONE_OF",
                f"branches {i} and {j} may both match one message, which oneOf refuses while the "
                "generated union takes it: make them exclusive (a required property the other forbids "
                "or types differently, distinct consts) or use anyOf",
            )
    for name, prop in (node.get("properties") or {}).items():
        where = pointer([*path, "properties", name])
        if not isinstance(prop, dict) or not prop.get("description"):
            yield LintFinding(file, where, "PROPERTY_DESCRIPTION", f'property "{name}" needs a description')
            continue
        for prefix, definition in _FIELD_REFS.items():
            if name.startswith(prefix) and not _uses(prop, definition):
                yield LintFinding(
                    file, where, "TYPED_FIELDS", f'"{name}" must reference {definition} (or be null)'
                )
        if name.endswith("_at") and not _uses(prop, "Timestamp"):
            yield LintFinding(file, where, "TYPED_FIELDS", f'"{name}" must reference Timestamp')


def _uses(prop: dict[str, Any], definition: str) -> bool:
    if prop.get("type") == "null":
        return True
    ref = prop.get("$ref")
    return isinstance(ref, str) and ref.endswith(f"/$defs/{definition}")


def _lint_examples(schemas: SchemaSet) -> Iterator[LintFinding]:
    """Every topic has valid and invalid examples, each judged by the schema of the version it states."""
    for topic in schemas.topics:
        validators = {v: Draft202012Validator(schemas.bundle(topic.name, v)) for v in topic.versions}
        folder = schemas.root / EXAMPLES_DIR / topic.name
        for kind in ("valid", "invalid"):
            files = sorted((folder / kind).glob("*.json"))
            rel_dir = f"{EXAMPLES_DIR}/{topic.name}/{kind}"
            if not files:
                yield LintFinding(
                    rel_dir, "", "GOLDEN_EXAMPLES", f"topic {topic.name} needs at least one {kind} example"
                )
            for path in files:
                yield from _check_example(validators, path, f"{rel_dir}/{path.name}", kind)


def _check_example(
    validators: dict[int, Draft202012Validator], path: Path, rel: str, kind: str
) -> Iterator[LintFinding]:
    example = json.loads(path.read_bytes())
    if "message_text" in example:
        try:
            message = json.loads(example["message_text"])
        except json.JSONDecodeError:
            if kind == "invalid":
                return
            yield LintFinding(rel, "/message_text", "GOLDEN_EXAMPLES", "a valid example must be JSON")
            return
    else:
        message = example["message"]
    version = message.get("schema_version") if isinstance(message, dict) else None
    validator = validators.get(version, validators[max(validators)]) if isinstance(version, int) else None
    errors = list((validator or validators[max(validators)]).iter_errors(message))
    if kind == "valid" and errors:
        first = errors[0]
        yield LintFinding(rel, "/message" + pointer(first.absolute_path), "GOLDEN_EXAMPLES", first.message)
    if kind == "invalid" and not errors:
        yield LintFinding(
            rel, "/message", "GOLDEN_EXAMPLES", "claims to be invalid but the schema accepts it"
        )
