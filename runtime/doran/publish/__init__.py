"""Ship the contracts: register them with a schema registry, export them for other teams.

- `publish(registry_url, dry_run=..., auth=..., out=...)`: `doran schemas publish`
- `export(directory)`: `doran schemas export DIR` (registry, bundled schemas, AsyncAPI 3.0)
"""

from doran.publish.credentials import RegistryCredentials, registry_credentials_from_env
from doran.publish.errors import (
    IncompatibleSchemaError,
    InliningError,
    InvalidSchemaError,
    PublishError,
    RegistryAuthError,
    RegistryResponseError,
    RegistryUnreachableError,
)
from doran.publish.export import export
from doran.publish.inline import inline_schema
from doran.publish.publication import publish

__all__ = [
    "IncompatibleSchemaError",
    "InliningError",
    "InvalidSchemaError",
    "PublishError",
    "RegistryAuthError",
    "RegistryCredentials",
    "RegistryResponseError",
    "RegistryUnreachableError",
    "export",
    "inline_schema",
    "publish",
    "registry_credentials_from_env",
]
