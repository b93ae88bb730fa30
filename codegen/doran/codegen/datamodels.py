"""Turn the schema set into pydantic v2 models with datamodel-code-generator's Python API."""

from __future__ import annotations

import copy
import json
import warnings
from typing import Any

from jsonschema import Draft202012Validator

from doran.codegen.nodes import schema_nodes
from doran.schema_source.bundle import bundle_document
from doran.schema_source.refs import schema_registry
from doran.schema_source.schema_set import SchemaSet, event_title

__all__ = ["models_document", "older_title", "render_models"]


def older_title(title: str, version: int) -> str:
    """Name of a model of an earlier version: the newest version's models keep the schema's names."""
    return f"{title}V{version}"


def _older_names(document: dict[str, Any], version: int) -> dict[str, Any]:
    """A copy of an earlier version's payload schema whose every title and local definition name
    carries the version (SwapDemand -> SwapDemandV1), so its models sit beside the newest's."""
    renamed = copy.deepcopy(document)
    local = "#/$defs/"
    for _, node in schema_nodes(renamed):
        if isinstance(node.get("title"), str):
            node["title"] = older_title(node["title"], version)
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(local):
            name, _, rest = ref.removeprefix(local).partition("/")
            node["$ref"] = local + older_title(name, version) + (f"/{rest}" if rest else "")
    if "$defs" in renamed:
        renamed["$defs"] = {older_title(name, version): node for name, node in renamed["$defs"].items()}
    return renamed


def models_document(schemas: SchemaSet) -> dict[str, Any]:
    """One bundle holding the envelope (root), every payload of every version and one subclass of
    the envelope per topic version; an earlier version's models carry its number in their names."""
    envelope = schemas.envelope
    renamed = {
        v.payload_schema: _older_names(schemas.files[v.payload_schema].document, v.schema_version)
        for topic in schemas.topics
        for v in topic.earlier_versions
    }
    refs = schemas.refs
    if renamed:
        refs = schema_registry((f.id, renamed.get(path, f.document)) for path, f in schemas.files.items())
    extra: dict[str, dict[str, Any]] = {}
    for topic in schemas.topics:
        for version in topic.versions:
            path = topic.payload_schema_of(version)
            payload = renamed.get(path, schemas.files[path].document)
            title = event_title(str(payload["title"]))
            extra[title] = {
                "title": title,
                "description": f"A message on {topic.name}"
                + (f" (version {version})" if topic.earlier_versions else "")
                + f": {topic.description}",
                "allOf": [
                    {"$ref": "#"},
                    {
                        "type": "object",
                        "properties": {
                            "event_type": {
                                "description": f"Always {topic.event_type}.",
                                "const": topic.event_type,
                            },
                            "schema_version": {"description": f"Always {version}.", "const": version},
                            "payload": {"description": payload["description"], "$ref": path},
                        },
                    },
                ],
            }
    document = bundle_document(refs, envelope.document, envelope.id, extra)
    _default_optional_nulls(document)
    _spell_out(document)
    return document


def _default_optional_nulls(document: dict[str, Any]) -> None:
    """Give every optional property that admits null the default null; the others get none.

    JSON Schema tells an absent property from a null one. Under `use_missing_sentinel` a property
    without a default is `T | MISSING = MISSING`: absent stays absent and an explicit null is
    refused, as the schema refuses it. One that admits null gets `T | None = None` (absent reads
    as null, and `encode`'s exclude_unset keeps it absent). `default` is an annotation: the
    bundled schemas that validate messages are not touched, only this models document.
    """
    root = Draft202012Validator(document)
    for _, node in schema_nodes(document):
        required = set(node.get("required", []))
        for name, prop in (node.get("properties") or {}).items():
            optional = name not in required and isinstance(prop, dict) and "default" not in prop
            if optional and root.evolve(schema=prop).is_valid(None):
                prop["default"] = None


def _value_types(values: list[Any]) -> set[str]:
    kinds = {type(None): "null", bool: "boolean", str: "string", list: "array", dict: "object"}
    found = {kinds.get(type(v), "integer" if isinstance(v, int) else "number") for v in values}
    return found | ({"number"} if "integer" in found else set())


def _spell_out(document: dict[str, Any]) -> None:
    """Rewrite what datamodel-codegen would misread into the same rule, said plainly.

    A `type` beside `enum`/`const` keeps only the types the values have: the values alone decide,
    while the generator would also admit every listed type (a null beside `"enum": [3]`). An
    `anyOf` lists each branch once: the generator reads repeated branches as "anything".
    """
    for _, node in schema_nodes(document):
        values = [node["const"]] if "const" in node else node.get("enum")
        declared = node.get("type")
        if isinstance(values, list) and declared is not None:
            listed = [declared] if isinstance(declared, str) else list(declared)
            kept = [kind for kind in listed if kind in _value_types(values)]
            node["type"] = kept[0] if len(kept) == 1 else kept
        if isinstance(node.get("anyOf"), list):
            unique = {json.dumps(branch, sort_keys=True): branch for branch in node["anyOf"]}
            node["anyOf"] = list(unique.values())


def render_models(schemas: SchemaSet, header: str) -> str:
    """Source of the models module; same schemas in, same bytes out."""
    from datamodel_code_generator import Formatter, InputFileType, PythonVersion, generate
    from datamodel_code_generator.enums import DataModelType

    with warnings.catch_warnings():
        # Notices about datamodel-codegen's future defaults; our options are all explicit.
        warnings.simplefilter("ignore", FutureWarning)
        source = generate(
            json.dumps(models_document(schemas), sort_keys=False),
            input_file_type=InputFileType.JsonSchema,
            output_model_type=DataModelType.PydanticV2BaseModel,
            target_python_version=PythonVersion.PY_311,
            custom_file_header=header,
            disable_timestamp=True,
            collapse_root_models=True,
            use_annotated=True,
            field_constraints=True,
            use_schema_description=True,
            use_standard_collections=True,
            use_union_operator=True,
            use_double_quotes=True,
            use_title_as_name=True,
            use_subclass_enum=True,
            capitalise_enum_members=True,
            strict_nullable=True,
            use_missing_sentinel=True,
            intersect_allof_keywords=True,
            formatters=[Formatter.BLACK, Formatter.ISORT],
        )
    assert isinstance(source, str)
    return source
