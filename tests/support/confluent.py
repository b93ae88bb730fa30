"""confluent-kafka's schema registry client and JSON serdes, for the tests that prove doran against them.

authlib (imported by the registry client) warns about its own httpx integration when imported, and its
import installs an "always" filter for that warning: it is loaded first, then silenced.
"""

from __future__ import annotations

import importlib
import warnings

with warnings.catch_warnings():
    importlib.import_module("authlib.deprecate")
    warnings.simplefilter("ignore", DeprecationWarning)
    from confluent_kafka.schema_registry import (
        Schema,
        SchemaRegistryClient,
        header_schema_id_serializer,
        prefix_schema_id_serializer,
    )
    from confluent_kafka.schema_registry.common.serde import SchemaId
    from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer

__all__ = [
    "JSONDeserializer",
    "JSONSerializer",
    "Schema",
    "SchemaId",
    "SchemaRegistryClient",
    "header_schema_id_serializer",
    "prefix_schema_id_serializer",
]
