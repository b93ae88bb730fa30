"""Errors of schema publication and export; each message names the cause and the remedy.

DoranError
 └── PublishError
      ├── RegistryUnreachableError   no HTTP answer from the registry URL
      ├── RegistryAuthError          401/403: credentials missing, wrong or not allowed
      ├── RegistryResponseError      any other unexpected answer (status + registry error_code)
      ├── IncompatibleSchemaError    a gate (doran's or the registry's) rejected a schema change
      ├── InvalidSchemaError         the registry refused the schema itself (422)
      ├── InliningError              a bundled schema cannot be made self-contained
      ├── RegistryNotConfigured      a stage writes a topic framed `confluent` but has no DORAN_REGISTRY_URL
      └── SchemaNotRegistered        the registry does not hold this build's schema of a topic a stage writes
"""

from __future__ import annotations

from doran.errors import DoranError

__all__ = [
    "IncompatibleSchemaError",
    "InliningError",
    "InvalidSchemaError",
    "PublishError",
    "RegistryAuthError",
    "RegistryNotConfigured",
    "RegistryResponseError",
    "RegistryUnreachableError",
    "SchemaNotRegistered",
]


class PublishError(DoranError):
    """Base of every publication or export failure."""


class RegistryUnreachableError(PublishError):
    """The schema registry did not answer at all (refused, DNS, timeout)."""


class RegistryAuthError(PublishError):
    """The registry answered 401 or 403."""


class RegistryResponseError(PublishError):
    """The registry answered with a status this client does not expect."""

    def __init__(self, message: str, *, status: int, error_code: int | None) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code


class IncompatibleSchemaError(PublishError):
    """A schema change breaks the subject's compatibility rule."""


class InvalidSchemaError(PublishError):
    """The registry rejected a schema as invalid (HTTP 422)."""


class InliningError(PublishError):
    """A schema cannot be turned into one document without `$ref`/`$defs`."""


class RegistryNotConfigured(PublishError):
    """A stage writes a topic framed `confluent` and no schema registry is configured."""


class SchemaNotRegistered(PublishError):
    """The registry does not hold this build's schema under the subject of a topic a stage writes."""
