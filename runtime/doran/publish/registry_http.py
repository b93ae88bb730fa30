"""A small client for the Confluent Schema Registry REST API (as served by Redpanda), over httpx2.

Only what publication needs. Every non-success answer becomes a specific `PublishError` whose
message names the registry, the request and what to do about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx2

from doran.publish.credentials import RegistryCredentials
from doran.publish.errors import (
    IncompatibleSchemaError,
    InvalidSchemaError,
    RegistryAuthError,
    RegistryResponseError,
    RegistryUnreachableError,
)

__all__ = ["CONTENT_TYPE", "Compatibility", "RegisteredVersion", "SchemaRegistryHttp", "SubjectConfig"]

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"
_ACCEPT = "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json, application/json"
# Registry error codes (Confluent API): subject not found, schema not found in subject or by id.
SUBJECT_NOT_FOUND = 40401
SCHEMA_NOT_FOUND = 40403


@dataclass(frozen=True)
class RegisteredVersion:
    """One registered version of a subject."""

    subject: str
    version: int
    schema_id: int
    schema: str


@dataclass(frozen=True)
class Compatibility:
    """The registry's verdict on a candidate schema, with its reasons when it gave any."""

    is_compatible: bool
    messages: tuple[str, ...]


@dataclass(frozen=True)
class SubjectConfig:
    """A subject's own compatibility rule and policy (None: inherited or unset), and whether the
    registry has compatibilityPolicy at all."""

    level: str | None
    policy: str | None
    has_policy: bool


def _subject_path(subject: str) -> str:
    return quote(subject, safe="")


def _schema_body(schema: str) -> dict[str, Any]:
    return {"schema": schema, "schemaType": "JSON"}


class SchemaRegistryHttp:
    """Confluent-compatible registry at base_url; use as a context manager."""

    def __init__(
        self, base_url: str, *, auth: RegistryCredentials | None = None, timeout_s: float = 10.0
    ) -> None:
        self.base_url = base_url.rstrip("/")
        basic = None
        if auth is not None and auth.username:
            password = auth.password.get_secret_value() if auth.password else ""
            basic = httpx2.BasicAuth(auth.username, password)
        self._client = httpx2.Client(
            base_url=self.base_url,
            auth=basic,
            timeout=timeout_s,
            headers={"Accept": _ACCEPT, "Content-Type": CONTENT_TYPE},
        )
        self._policy_known: bool | None = None

    def __enter__(self) -> SchemaRegistryHttp:
        return self

    def __exit__(self, *exc: object) -> None:
        self._client.close()

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> httpx2.Response:
        where = f"{method} {self.base_url}{path}"
        try:
            response = self._client.request(method, path, json=body)
        except httpx2.TransportError as exc:
            raise RegistryUnreachableError(
                f"schema registry unreachable at {self.base_url} ({where}: {exc or type(exc).__name__}); "
                "check the registry URL (--registry, DORAN_REGISTRY_URL) and that the registry listens "
                "there (Redpanda: port 8081)"
            ) from exc
        if response.status_code in (401, 403):
            verdict = "rejected the credentials" if response.status_code == 401 else "denied access"
            raise RegistryAuthError(
                f"schema registry at {self.base_url} {verdict} (HTTP {response.status_code} on {where}); "
                "set DORAN_REGISTRY_USERNAME and DORAN_REGISTRY_PASSWORD to a user allowed to read "
                "(stages) or write (schemas publish) subjects"
            )
        return response

    @staticmethod
    def _error(response: httpx2.Response) -> tuple[int | None, str]:
        try:
            body = response.json()
        except ValueError:
            return None, response.text[:200]
        if isinstance(body, dict):
            code = body.get("error_code")
            return (code if isinstance(code, int) else None), str(body.get("message", ""))
        return None, str(body)[:200]

    def _unexpected(self, response: httpx2.Response) -> RegistryResponseError:
        code, message = self._error(response)
        request = response.request
        return RegistryResponseError(
            f"schema registry answered HTTP {response.status_code} (error_code {code}: {message}) "
            f"to {request.method} {request.url}",
            status=response.status_code,
            error_code=code,
        )

    @staticmethod
    def _version(body: dict[str, Any]) -> RegisteredVersion:
        return RegisteredVersion(
            subject=str(body["subject"]),
            version=int(body["version"]),
            schema_id=int(body["id"]),
            schema=str(body["schema"]),
        )

    def lookup(self, subject: str, schema: str) -> RegisteredVersion | int:
        """The version under which subject already holds schema, else the registry's 404 error code."""
        response = self._call("POST", f"/subjects/{_subject_path(subject)}", _schema_body(schema))
        if response.status_code == 200:
            return self._version(response.json())
        code, _ = self._error(response)
        if response.status_code == 404 and code in (SUBJECT_NOT_FOUND, SCHEMA_NOT_FOUND):
            return code
        raise self._unexpected(response)

    def subjects_of(self, schema_id: int) -> frozenset[str] | None:
        """The subjects that hold the schema with this id, or None when the registry has no such id."""
        response = self._call("GET", f"/schemas/ids/{schema_id}/versions")
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise self._unexpected(response)
        return frozenset(str(entry["subject"]) for entry in response.json())

    def schema_by_guid(self, guid: str) -> str | None:
        """The schema whose content has this GUID (Confluent 8, Redpanda 26.3), or None when unknown."""
        response = self._call("GET", f"/schemas/guids/{quote(guid, safe='')}")
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise self._unexpected(response)
        return str(response.json()["schema"])

    def versions(self, subject: str) -> list[int]:
        """Registered version numbers of subject, oldest first; [] when the subject does not exist."""
        response = self._call("GET", f"/subjects/{_subject_path(subject)}/versions")
        if response.status_code == 404:
            return []
        if response.status_code != 200:
            raise self._unexpected(response)
        return sorted(int(v) for v in response.json())

    def version(self, subject: str, version: int | str) -> RegisteredVersion:
        """One registered version (a number or "latest")."""
        response = self._call("GET", f"/subjects/{_subject_path(subject)}/versions/{version}")
        if response.status_code != 200:
            raise self._unexpected(response)
        return self._version(response.json())

    def subject_config(self, subject: str) -> SubjectConfig:
        """The compatibility rule set on the subject itself (None: it inherits the global one), and its
        compatibilityPolicy where the registry has that setting (Confluent since 2025-10)."""
        response = self._call("GET", f"/config/{_subject_path(subject)}")
        if response.status_code == 404:
            return SubjectConfig(None, None, self.has_compatibility_policy())
        if response.status_code != 200:
            raise self._unexpected(response)
        body = response.json()
        level = body.get("compatibilityLevel", body.get("compatibility"))
        policy = body.get("compatibilityPolicy")
        return SubjectConfig(
            None if level is None else str(level),
            None if policy is None else str(policy),
            "compatibilityPolicy" in body or self.has_compatibility_policy(),
        )

    def has_compatibility_policy(self) -> bool:
        """Whether the registry's global config has a compatibilityPolicy (Redpanda's has not)."""
        if self._policy_known is None:
            response = self._call("GET", "/config")
            self._policy_known = response.status_code == 200 and "compatibilityPolicy" in response.json()
        return self._policy_known

    def check_compatibility(self, subject: str, schema: str) -> Compatibility:
        """The registry's own check of schema against the subject's latest version."""
        response = self._call(
            "POST",
            f"/compatibility/subjects/{_subject_path(subject)}/versions/latest?verbose=true",
            _schema_body(schema),
        )
        if response.status_code == 422:
            _, message = self._error(response)
            raise InvalidSchemaError(f"schema registry rejected the {subject} schema as invalid: {message}")
        if response.status_code != 200:
            raise self._unexpected(response)
        body = response.json()
        return Compatibility(bool(body["is_compatible"]), tuple(str(m) for m in body.get("messages") or ()))

    def set_compatibility(self, subject: str, level: str, policy: str | None = None) -> None:
        """Set the subject-level compatibility rule, and its policy when given."""
        body = {"compatibility": level} | ({"compatibilityPolicy": policy} if policy is not None else {})
        response = self._call("PUT", f"/config/{_subject_path(subject)}", body)
        if response.status_code != 200:
            raise self._unexpected(response)

    def register(self, subject: str, schema: str) -> int:
        """Register schema under subject; returns the global schema id."""
        response = self._call("POST", f"/subjects/{_subject_path(subject)}/versions", _schema_body(schema))
        if response.status_code == 200:
            return int(response.json()["id"])
        _, message = self._error(response)
        if response.status_code == 409:
            raise IncompatibleSchemaError(f"schema registry refused {subject} as incompatible: {message}")
        if response.status_code == 422:
            raise InvalidSchemaError(f"schema registry rejected the {subject} schema as invalid: {message}")
        raise self._unexpected(response)
