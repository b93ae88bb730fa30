"""The schema ids a stage frames and checks records with, from the schema registry.

When a stage starts, `stage_framing` looks up, under each written topic's subject, the schema this
build carries (`POST /subjects/<subject>`, the lookup `doran schemas publish` makes): its id goes in
front of every record of a topic framed `confluent`. A stage fails closed: no registry configured, no
answer, no subject, or a subject without this build's schema is a one-line error before anything is
consumed or produced.

While it runs, `RegistrySchemas` answers whether a consumed record's schema id (or GUID) belongs to
its topic's subject, asking the registry once per id and remembering: ids this build writes are known
from the start, so a pipeline of one build asks nothing per record. Own REST code rather than
confluent-kafka's SchemaRegistryClient: it is the client `schemas publish` already uses, with the
same credentials and errors that name the cause and the remedy, and it asks only what these two
questions need.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from uuid import UUID

from doran.contracts import Envelope
from doran.publish.credentials import registry_credentials
from doran.publish.errors import RegistryNotConfigured, RegistryResponseError, SchemaNotRegistered
from doran.publish.publication import contract_source
from doran.publish.registry_http import SUBJECT_NOT_FOUND, RegisteredVersion, SchemaRegistryHttp
from doran.schema_source.registry import TopicSpec
from doran.settings import Settings
from doran.wire import Framing, KnownSchemas, SchemaRef, describe

__all__ = ["RegistrySchemas", "resolve_schema_ids", "stage_framing"]

logger = logging.getLogger("doran.schema_ids")
_Key = tuple[str, SchemaRef]


class RegistrySchemas:
    """A `doran.wire.SchemaDirectory` that asks the schema registry, and remembers its answers.

    A schema a subject holds stays held (the registry never reuses an id); a refusal is asked again
    after `recheck_after_s`, since the schema may be registered since, and at most `max_refusals`
    are remembered, so a stream of made-up ids costs one request each per interval, and no memory.
    """

    def __init__(
        self,
        client: SchemaRegistryHttp,
        *,
        held: Iterable[_Key] = (),
        recheck_after_s: float = 30.0,
        max_refusals: int = 4096,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._held: set[_Key] = set(held)
        self._refused: dict[_Key, tuple[bool | None, float]] = {}
        self._recheck_after_s = recheck_after_s
        self._max_refusals = max_refusals
        self._clock = clock

    def holds(self, subject: str, schema: SchemaRef) -> bool | None:
        key = (subject, schema)
        if key in self._held:
            return True
        now = self._clock()
        refused = self._refused.get(key)
        if refused is not None and now - refused[1] < self._recheck_after_s:
            return refused[0]
        verdict = self._ask(subject, schema)
        self._refused.pop(key, None)
        if verdict:
            self._held.add(key)
        else:
            if len(self._refused) >= self._max_refusals:
                del self._refused[next(iter(self._refused))]  # the oldest
            self._refused[key] = (verdict, now)
        found = {True: "held by", False: "registered, not under", None: "unknown to the registry, for"}
        logger.info("%s: %s %s", describe(schema), found[verdict], subject)
        return verdict

    def _ask(self, subject: str, schema: SchemaRef) -> bool | None:
        if not isinstance(schema, UUID):
            subjects = self._client.subjects_of(schema)
            return None if subjects is None else subject in subjects
        text = self._client.schema_by_guid(str(schema))
        if text is None:
            return None
        try:
            found = self._client.lookup(subject, text)
        except RegistryResponseError as exc:
            if exc.status == 422:  # a schema of another type (Avro, Protobuf): not this JSON subject's
                return False
            raise
        return isinstance(found, RegisteredVersion)


def resolve_schema_ids(client: SchemaRegistryHttp, topics: Iterable[TopicSpec[Envelope]]) -> dict[str, int]:
    """The id under which the registry holds this build's schema of each topic, by topic name.

    SchemaNotRegistered when a topic's subject is missing, or holds other schemas only.
    """
    ids: dict[str, int] = {}
    for spec in topics:
        subject, where = spec.value_subject, client.base_url
        found = client.lookup(subject, contract_source(spec).text)
        if isinstance(found, RegisteredVersion):
            ids[spec.name] = found.schema_id
            logger.info("%s: schema id %d (%s v%d)", spec.name, found.schema_id, subject, found.version)
            continue
        publish = f"`doran schemas publish --registry {where}`"
        if found == SUBJECT_NOT_FOUND:
            raise SchemaNotRegistered(
                f"the schema registry at {where} has no subject {subject}: {spec.name} is framed "
                "confluent, so its records carry the id the registry gives its schema; publish the "
                f"schemas first ({publish})"
            )
        versions = ", ".join(f"v{n}" for n in client.versions(subject))
        raise SchemaNotRegistered(
            f"the schema registry at {where} holds {subject} {versions}, none of them this build's schema of "
            f"{spec.name} (sha256 {spec.schema_sha256[:12]}): publish it ({publish}), "
            "or run the build whose schema is registered"
        )
    return ids


def stage_framing(settings: Settings, writes: Sequence[TopicSpec[Envelope]]) -> Framing:
    """The framing of a stage that writes `writes`, resolved from the registry of DORAN_REGISTRY_URL.

    Fails closed before the stage does anything: RegistryNotConfigured, RegistryUnreachableError,
    RegistryAuthError, SchemaNotRegistered. Without a registry (allowed only when every topic written
    is framed `json`), a consumed record that names a schema is dead-lettered as unknown_schema_id.
    """
    framed = [spec for spec in writes if spec.framing == "confluent"]
    url = settings.registry_url
    if not url:
        if framed:
            names = ", ".join(spec.name for spec in framed)
            raise RegistryNotConfigured(
                f"this stage writes {names}, framed confluent in schemas/topics.json: set DORAN_REGISTRY_URL "
                "to the schema registry that holds their schemas (Redpanda: http://redpanda:8081)"
            )
        logger.info("no schema registry (DORAN_REGISTRY_URL): records naming a schema id are dead letters")
        return Framing({}, KnownSchemas({}))
    client = SchemaRegistryHttp(url, auth=registry_credentials(settings))
    ids = resolve_schema_ids(client, framed)
    by_name = {spec.name: spec for spec in framed}
    held = [(by_name[topic].value_subject, schema_id) for topic, schema_id in ids.items()]
    return Framing.of(ids, RegistrySchemas(client, held=held))
