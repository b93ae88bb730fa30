"""The JSON format of doran events: `decode` validates raw bytes for a topic, `encode` serialises.

Fast path: pydantic's strict JSON validation of the topic's generated model of its newest version
(no dict in between). Only when it fails does more run: a message of an earlier version the topic
reads is validated as that version and migrated to the newest; anything else meets the reference
validator, which names every violation and classifies the reason (it is also the authority if the
two ever disagree).
"""

from __future__ import annotations

from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError
from pydantic_core import to_json

from doran.contracts import TOPICS, VENUE_MESSAGES, DeadLetterReason, Envelope, Violation
from doran.schema_source.registry import TopicSpec, VenueMessageSpec, VersionSpec
from doran.wire.errors import ContractViolation, UnknownTopic
from doran.wire.limits import max_length
from doran.wire.reference import explain, judge
from doran.wire.versions import earlier_version, unknown_version, upgraded_payload

__all__ = [
    "decode",
    "decode_venue_message",
    "encode",
    "encoded_object",
    "json_bytes",
    "topic",
    "venue_message",
]

E = TypeVar("E", bound=Envelope)
M = TypeVar("M")
_MAX_MESSAGE = max_length(Violation, "message")


def topic(name: str) -> TopicSpec[Envelope]:
    """The registry's topic called `name`; UnknownTopic if there is none."""
    try:
        return TOPICS[name]
    except KeyError:
        raise UnknownTopic(name) from None


def venue_message(name: str) -> VenueMessageSpec[Any]:
    """The registry's venue message called `name`; UnknownTopic if there is none."""
    try:
        return VENUE_MESSAGES[name]
    except KeyError:
        raise UnknownTopic(name) from None


def decode(spec: TopicSpec[E], data: bytes | str) -> E:
    """Validate raw bytes as a message of the topic and return its typed event model, of the topic's
    newest version (an earlier version the topic reads is migrated to it).

    Raises ContractViolation listing every violation (JSON pointer + message).
    """
    model = spec.event_model
    try:
        return model.__pydantic_validator__.validate_json(data, strict=True)  # type: ignore[no-any-return]
    except ValidationError:
        pass
    try:
        instance: Any = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        violation = Violation(pointer="", message=f"not JSON: {exc}")
        raise ContractViolation(spec.name, DeadLetterReason.NOT_JSON, [violation]) from None
    version = instance.get("schema_version") if isinstance(instance, dict) else None
    earlier = earlier_version(spec, version)
    if earlier is not None:
        return _upgraded(spec, earlier, data, instance)
    if isinstance(version, int) and not isinstance(version, bool) and version not in spec.versions:
        raise unknown_version(spec, version)
    return judge(spec.name, spec.bundle, instance, model.model_validate, _reason(spec, instance))


def _upgraded(spec: TopicSpec[E], earlier: VersionSpec[Any], data: bytes | str, instance: Any) -> E:
    """A message of an earlier version: valid as that version, then migrated to the newest."""
    older_model = earlier.event_model
    try:
        older_model.__pydantic_validator__.validate_json(data, strict=True)
    except ValidationError:
        judge(
            spec.name, earlier.bundle, instance, older_model.model_validate, DeadLetterReason.SCHEMA_VIOLATION
        )
    migrated = {
        **instance,
        "schema_version": spec.schema_version,
        "payload": upgraded_payload(spec, earlier, instance["payload"]),
    }
    try:
        return spec.event_model.__pydantic_validator__.validate_json(json_bytes(migrated), strict=True)  # type: ignore[no-any-return]
    except ValidationError as exc:
        found = explain(spec.bundle, migrated, exc)
        where = f"migrated from version {earlier.schema_version}: "
        violations = [Violation(pointer=v.pointer, message=(where + v.message)[:_MAX_MESSAGE]) for v in found]
        raise ContractViolation(spec.name, DeadLetterReason.MIGRATION_FAILED, violations) from None


def decode_venue_message(spec: VenueMessageSpec[M], instance: Any, *, at: str = "") -> M:
    """Validate an already parsed venue message; violations are located under the pointer `at`."""
    try:
        return spec.adapter.validate_python(instance, strict=True)
    except ValidationError:
        return judge(
            spec.name,
            spec.bundle,
            instance,
            spec.adapter.validate_python,
            DeadLetterReason.SCHEMA_VIOLATION,
            at,
        )


def _reason(spec: TopicSpec[Envelope], instance: Any) -> DeadLetterReason:
    if isinstance(instance, dict):
        if "schema_version" in instance and instance["schema_version"] != spec.schema_version:
            return DeadLetterReason.UNKNOWN_SCHEMA_VERSION
        if "event_type" in instance and instance["event_type"] != spec.event_type:
            return DeadLetterReason.WRONG_EVENT_TYPE
    return DeadLetterReason.SCHEMA_VIOLATION


def encode(event: BaseModel) -> bytes:
    """Serialise an event to the compact JSON bytes that go on the bus (field order of the schema).

    Optional fields never given are left out rather than written null: a venue message keeps
    exactly the fields the venue sent.
    """
    return type(event).__pydantic_serializer__.to_json(event, exclude_unset=True)


def json_bytes(value: Any) -> bytes:
    """Compact JSON of plain values and contract models (dict order kept), written as `encode` writes it.

    orjson, or pydantic's serialiser for an integer beyond 64 bits (a venue's raw data may carry one),
    which orjson refuses: the two format every float alike, so a record's bytes never depend on which
    one wrote them.
    """
    try:
        return orjson.dumps(value, default=_model_object)
    except orjson.JSONEncodeError:
        return to_json(_without_models(value))


def _model_object(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return encoded_object(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def _without_models(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return encoded_object(value)
    if isinstance(value, dict):
        return {key: _without_models(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_without_models(item) for item in value]
    return value


def encoded_object(event: BaseModel) -> dict[str, Any]:
    """The JSON object `encode` writes, as a dict: what a store keeps so it can re-encode the same bytes."""
    dumped: dict[str, Any] = event.model_dump(mode="json", exclude_unset=True)
    return dumped
