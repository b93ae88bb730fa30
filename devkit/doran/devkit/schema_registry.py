"""A Confluent-compatible schema registry on 127.0.0.1 that records every request.

A stand-in, because no registry server (Redpanda, Confluent, Karapace) can run on this machine.
It implements the subset `doran schemas publish`, the stages' schema id lookups and confluent-kafka's
REST client and JSON serdes use (schemas by id and by GUID, as Confluent 8 and Redpanda 26.3 serve
them), with the status codes and error codes of the Confluent Schema Registry API reference; its compatibility
verdict is whatever the test sets (`incompatible`), since judging JSON schemas is the registry's
business, not the client's.
"""

from __future__ import annotations

import base64
import io
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from doran.publish import PublishError, publish
from doran.publish.publication import EXIT_OK

__all__ = ["FakeRegistry", "RecordedRequest", "guid_of", "published_registry", "running_registry"]

LEVELS = {
    "NONE",
    "BACKWARD",
    "BACKWARD_TRANSITIVE",
    "FORWARD",
    "FORWARD_TRANSITIVE",
    "FULL",
    "FULL_TRANSITIVE",
}
CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class Version:
    version: int
    schema_id: int
    schema: str
    schema_type: str


@dataclass
class FakeRegistry:
    """Registry state plus knobs the tests turn."""

    subjects: dict[str, list[Version]] = field(default_factory=dict)
    configs: dict[str, str] = field(default_factory=dict)
    global_level: str = "BACKWARD"
    # Confluent (2025-10 on) has a compatibilityPolicy per subject; Redpanda has none (the default).
    has_policy: bool = False
    policies: dict[str, str] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)
    requests: list[RecordedRequest] = field(default_factory=list)
    required_auth: tuple[str, str] | None = None
    forbidden: bool = False
    # (subject, candidate schema, previous schema) -> reason it is incompatible, or None.
    incompatible: Callable[[str, str, str], str | None] = lambda subject, new, old: None
    # Subjects whose registration answers 409 although the check passed (a concurrent change).
    conflicts: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def seed(self, subject: str, *schemas: str) -> None:
        """Store versions directly, as an earlier publication would have left them."""
        for schema in schemas:
            versions = self.subjects.setdefault(subject, [])
            versions.append(Version(len(versions) + 1, self.schema_id(schema), schema, "JSON"))

    def writes(self) -> list[RecordedRequest]:
        """Requests that change state: registrations and compatibility settings."""
        return [
            r
            for r in self.requests
            if r.method == "PUT" or (r.method == "POST" and r.path.endswith("/versions"))
        ]

    def schema_id(self, schema: str) -> int:
        return self.ids.setdefault(schema, len(self.ids) + 1)

    def schema_of(self, schema_id: int) -> str | None:
        """The schema registered with this id, if any."""
        return next((schema for schema, found in self.ids.items() if found == schema_id), None)

    def subject_versions(self, schema_id: int) -> list[tuple[str, int]]:
        """(subject, version) of every registered version with this schema id."""
        return [
            (subject, v.version)
            for subject, versions in self.subjects.items()
            for v in versions
            if v.schema_id == schema_id
        ]

    def level(self, subject: str) -> str:
        return self.configs.get(subject, self.global_level)

    def previous_for_check(self, subject: str) -> list[Version]:
        versions = self.subjects.get(subject, [])
        level = self.level(subject)
        if level == "NONE" or not versions:
            return []
        return versions if level.endswith("_TRANSITIVE") else versions[-1:]

    def reasons(self, subject: str, schema: str, previous: list[Version]) -> list[str]:
        return [r for v in previous if (r := self.incompatible(subject, schema, v.schema)) is not None]


def _error(status: int, code: int, message: str) -> tuple[int, Any]:
    return status, {"error_code": code, "message": message}


def guid_of(schema: str) -> str:
    """The schema's GUID: derived from its content, as Confluent's (8.0 on) and Redpanda's (26.3 on) are."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, schema))


def _version_body(subject: str, v: Version) -> dict[str, Any]:
    return {
        "subject": subject,
        "version": v.version,
        "id": v.schema_id,
        "guid": guid_of(v.schema),
        "schema": v.schema,
        "schemaType": v.schema_type,
    }


def _schema_body(reg: FakeRegistry, schema: str) -> dict[str, Any]:
    types = {v.schema_type for versions in reg.subjects.values() for v in versions if v.schema == schema}
    return {"schema": schema, "schemaType": next(iter(types), "JSON"), "guid": guid_of(schema)}


def _schemas(reg: FakeRegistry, parts: list[str]) -> tuple[int, Any]:
    """GET /schemas/ids/{id}, /schemas/ids/{id}/versions and /schemas/guids/{guid}."""
    if parts[1] == "guids" and len(parts) == 3:
        schema = next((s for s in reg.ids if guid_of(s) == parts[2]), None)
        if schema is None:
            return _error(404, 40403, f"Schema {parts[2]} not found")
        return 200, _schema_body(reg, schema)
    if parts[1] == "ids" and len(parts) in (3, 4) and parts[2].isdigit():
        schema_id = int(parts[2])
        schema = reg.schema_of(schema_id)
        if schema is None:
            return _error(404, 40403, f"Schema {schema_id} not found")
        if len(parts) == 3:
            return 200, _schema_body(reg, schema)
        if parts[3] == "versions":
            return 200, [{"subject": s, "version": n} for s, n in reg.subject_versions(schema_id)]
    return _error(404, 404, f"HTTP 404 Not Found: GET /{'/'.join(parts)}")


def _route(
    reg: FakeRegistry, method: str, parts: list[str], query: dict[str, list[str]], body: Any
) -> tuple[int, Any]:
    if parts == ["config"] and method == "GET":
        return 200, {"compatibilityLevel": reg.global_level} | (
            {"compatibilityPolicy": "STRICT"} if reg.has_policy else {}
        )
    if parts[:1] == ["config"] and len(parts) == 2:
        subject = parts[1]
        if method == "GET":
            if subject not in reg.configs:
                return _error(
                    404, 40408, f"Subject '{subject}' does not have subject-level compatibility configured"
                )
            policy = {"compatibilityPolicy": reg.policies.get(subject, "STRICT")} if reg.has_policy else {}
            return 200, {"compatibilityLevel": reg.configs[subject]} | policy
        if method == "PUT":
            level = (body or {}).get("compatibility")
            if level not in LEVELS:
                return _error(422, 42203, f"Invalid compatibility level {level!r}")
            if "compatibilityPolicy" in (body or {}):
                if not reg.has_policy:
                    return _error(422, 42203, "Unrecognized field: compatibilityPolicy")
                reg.policies[subject] = body["compatibilityPolicy"]
            reg.configs[subject] = level
            return 200, {"compatibility": level}
    if parts[:1] == ["schemas"] and len(parts) >= 3 and method == "GET":
        return _schemas(reg, parts)
    if parts[:1] == ["subjects"] and len(parts) >= 2:
        subject, versions = parts[1], reg.subjects.get(parts[1])
        if len(parts) == 2 and method == "POST":
            if versions is None:
                return _error(404, 40401, f"Subject '{subject}' not found.")
            match = next((v for v in versions if v.schema == body["schema"]), None)
            if match is None:
                return _error(404, 40403, "Schema not found")
            return 200, _version_body(subject, match)
        if len(parts) == 3 and parts[2] == "versions" and method == "GET":
            if versions is None:
                return _error(404, 40401, f"Subject '{subject}' not found.")
            return 200, [v.version for v in versions]
        if len(parts) == 3 and parts[2] == "versions" and method == "POST":
            schema, schema_type = body["schema"], body.get("schemaType", "AVRO")
            existing = next((v for v in versions or [] if v.schema == schema), None)
            if existing is not None:
                return 200, {"id": existing.schema_id, "guid": guid_of(schema)}
            reasons = reg.reasons(subject, schema, reg.previous_for_check(subject))
            if subject in reg.conflicts:
                reasons.append("a concurrent registration changed the subject")
            if reasons:
                return _error(
                    409,
                    409,
                    "Schema being registered is incompatible with an earlier schema; " + "; ".join(reasons),
                )
            new = Version(len(versions or []) + 1, reg.schema_id(schema), schema, schema_type)
            reg.subjects.setdefault(subject, []).append(new)
            return 200, {"id": new.schema_id, "guid": guid_of(schema)}
        if len(parts) == 4 and parts[2] == "versions" and method == "GET":
            if versions is None:
                return _error(404, 40401, f"Subject '{subject}' not found.")
            wanted = (
                versions[-1]
                if parts[3] == "latest"
                else next((v for v in versions if str(v.version) == parts[3]), None)
            )
            if wanted is None:
                return _error(404, 40402, "Version not found.")
            return 200, _version_body(subject, wanted)
    if parts[:2] == ["compatibility", "subjects"] and len(parts) == 5 and method == "POST":
        subject, versions = parts[2], reg.subjects.get(parts[2])
        if versions is None:
            return _error(404, 40401, f"Subject '{subject}' not found.")
        reasons = reg.reasons(subject, body["schema"], versions[-1:])
        verdict: dict[str, Any] = {"is_compatible": not reasons}
        if query.get("verbose") == ["true"]:
            verdict["messages"] = reasons
        return 200, verdict
    return _error(404, 404, f"HTTP 404 Not Found: {method} /{'/'.join(parts)}")


def _handler(reg: FakeRegistry) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            body = json.loads(raw) if raw else None
            query = parse_qs(url.query)
            with reg.lock:
                reg.requests.append(
                    RecordedRequest(
                        self.command, url.path, query, {k.lower(): v for k, v in self.headers.items()}, body
                    )
                )
                status, payload = self._authorise()
                if status == 0:
                    parts = [unquote(p) for p in url.path.strip("/").split("/")]
                    status, payload = _route(reg, self.command, parts, query, body)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", CONTENT_TYPE)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _authorise(self) -> tuple[int, Any]:
            if reg.required_auth is not None:
                expected = "Basic " + base64.b64encode(":".join(reg.required_auth).encode()).decode()
                if self.headers.get("Authorization") != expected:
                    return _error(401, 40101, "Unauthorized")
            if reg.forbidden:
                return _error(403, 40301, "User is denied operation on this server.")
            return 0, None

        # http.server dispatches on these names.
        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def do_PUT(self) -> None:
            self._serve()

        def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
            return

    return Handler


@contextmanager
def running_registry(reg: FakeRegistry) -> Iterator[str]:
    """Serve reg on a free loopback port; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(reg))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def published_registry(registry_url: str | None = None) -> Iterator[str]:
    """A registry holding this build's schemas, as `doran schemas publish` registers them: the one at
    `registry_url` (published to first; nothing changes when it already holds them), else one served on
    127.0.0.1 for the block. What the stages of the demo, the benchmarks and the tests look up their
    schema ids in."""
    with ExitStack() as stack:
        url = registry_url or stack.enter_context(running_registry(FakeRegistry()))
        out, err = io.StringIO(), io.StringIO()
        if publish(url, out=out, err=err) != EXIT_OK:
            raise PublishError(f"publishing the schemas to {url} failed: {err.getvalue().strip()}")
        yield url
