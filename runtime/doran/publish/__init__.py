"""Ship the contracts: register them with a schema registry, export them for other teams.

- `publish(registry_url, dry_run=..., auth=..., out=...)`: `doran schemas publish`
- `export(directory)`: `doran schemas export DIR` (registry, bundled schemas, AsyncAPI 3.0)
- `stage_framing(settings, writes)`: the schema ids a stage frames its records with, looked up when it
  starts (it fails closed), and the registry directory its consumed records are checked against
"""

from doran.publish.credentials import RegistryCredentials, registry_credentials_from_env
from doran.publish.errors import (
    IncompatibleSchemaError,
    InliningError,
    InvalidSchemaError,
    PublishError,
    RegistryAuthError,
    RegistryNotConfigured,
    RegistryResponseError,
    RegistryUnreachableError,
    SchemaNotRegistered,
)
from doran.publish.export import export
from doran.publish.inline import inline_schema
from doran.publish.publication import publish
from doran.publish.schema_ids import RegistrySchemas, resolve_schema_ids, stage_framing

__all__ = [
    "IncompatibleSchemaError",
    "InliningError",
    "InvalidSchemaError",
    "PublishError",
    "RegistryAuthError",
    "RegistryCredentials",
    "RegistryNotConfigured",
    "RegistryResponseError",
    "RegistrySchemas",
    "RegistryUnreachableError",
    "SchemaNotRegistered",
    "export",
    "inline_schema",
    "publish",
    "registry_credentials_from_env",
    "resolve_schema_ids",
    "stage_framing",
]
