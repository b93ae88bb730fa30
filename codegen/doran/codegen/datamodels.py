"""Turn the schema set into pydantic v2 models with datamodel-code-generator's Python API."""

from __future__ import annotations

import json
import warnings
from typing import Any

from doran.schema_source.bundle import bundle_document
from doran.schema_source.schema_set import SchemaSet, event_title

__all__ = ["models_document", "render_models"]


def models_document(schemas: SchemaSet) -> dict[str, Any]:
    """One bundle holding the envelope (root), every payload and one subclass of the envelope per topic."""
    envelope = schemas.envelope
    extra: dict[str, dict[str, Any]] = {}
    for topic in schemas.topics:
        payload = schemas.payload(topic.name)
        title = str(payload.document["title"])
        extra[event_title(title)] = {
            "title": event_title(title),
            "description": f"A message on {topic.name}: {topic.description}",
            "allOf": [
                {"$ref": "#"},
                {
                    "type": "object",
                    "properties": {
                        "event_type": {
                            "description": f"Always {topic.event_type}.",
                            "const": topic.event_type,
                        },
                        "payload": {"description": payload.document["description"], "$ref": payload.path},
                    },
                },
            ],
        }
    return bundle_document(schemas.refs, envelope.document, envelope.id, extra)


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
            formatters=[Formatter.BLACK, Formatter.ISORT],
        )
    assert isinstance(source, str)
    return source
