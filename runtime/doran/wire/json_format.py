"""The JSON format of doran events: `decode` validates raw bytes for a topic, `encode` serialises.

Fast path: pydantic's strict JSON validation of the topic's generated model (no dict in
between). Only when it fails does the reference validator run, to name every violation and
classify the reason; it is also the authority if the two ever disagree.
"""

from __future__ import annotations

from typing import Any, Literal

import orjson
from pydantic import ValidationError

from doran.contracts import SCHEMA_VERSION, TOPICS, Envelope, Violation
from doran.errors import ContractError
from doran.wire.reference import violations

__all__ = ["ContractViolation", "Reason", "UnknownTopic", "decode", "encode"]

Reason = Literal["not_json", "schema_violation", "unknown_schema_version", "wrong_event_type"]
_MODELS: dict[str, type[Envelope]] = {name: spec.event_model for name, spec in TOPICS.items()}
# The core validators directly: pydantic's Python-level model_validate_json wrapper costs ~0.4 µs a call.
_VALIDATE_JSON = {name: model.__pydantic_validator__.validate_json for name, model in _MODELS.items()}


class UnknownTopic(ContractError, KeyError):
    """The topic is not in the topic registry (schemas/topics.json)."""

    def __init__(self, topic: str) -> None:
        super().__init__(f'unknown topic "{topic}"; the registry knows: {", ".join(TOPICS)}')

    def __str__(self) -> str:
        return str(self.args[0])


class ContractViolation(ContractError):
    """A message broke its topic's contract; carries every violation with its JSON pointer."""

    def __init__(self, topic: str, reason: Reason, violations: list[Violation]) -> None:
        self.topic = topic
        self.reason: Reason = reason
        self.violations = violations
        shown = "; ".join(f"{v.pointer or '(message)'}: {v.message}" for v in violations[:5])
        more = f" (+{len(violations) - 5} more)" if len(violations) > 5 else ""
        super().__init__(f"{topic}: {reason}: {shown}{more}")


def decode(topic: str, data: bytes | str) -> Envelope:
    """Validate raw bytes as a message of topic and return its typed event model.

    Raises ContractViolation listing every violation (JSON pointer + message), UnknownTopic
    for a topic the registry does not name.
    """
    validate_json = _VALIDATE_JSON.get(topic)
    if validate_json is None:
        raise UnknownTopic(topic)
    try:
        event: Envelope = validate_json(data, strict=True)
        return event
    except ValidationError:
        return _explain(topic, _MODELS[topic], data)


def _explain(topic: str, model: type[Envelope], data: bytes | str) -> Envelope:
    try:
        instance: Any = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ContractViolation(
            topic, "not_json", [Violation(pointer="", message=f"not JSON: {exc}")]
        ) from None
    found = violations(topic, instance)
    if not found:
        # Strict JSON mode refuses a few values JSON Schema accepts (an integer written 5.0);
        # the reference validator is the authority, so accept and coerce them.
        try:
            return model.model_validate(instance)
        except ValidationError as exc:
            found = [Violation(pointer=_loc_pointer(e["loc"]), message=e["msg"]) for e in exc.errors()]
    raise ContractViolation(topic, _reason(topic, instance), found)


def _reason(topic: str, instance: Any) -> Reason:
    if isinstance(instance, dict):
        if "schema_version" in instance and instance["schema_version"] != SCHEMA_VERSION:
            return "unknown_schema_version"
        if "event_type" in instance and instance["event_type"] != TOPICS[topic].event_type:
            return "wrong_event_type"
    return "schema_violation"


def _loc_pointer(loc: tuple[int | str, ...]) -> str:
    """JSON pointer of a pydantic error location, without the union-branch names pydantic inserts."""
    parts = [str(step) for step in loc if not (isinstance(step, str) and (step[:1].isupper() or "[" in step))]
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


def encode(event: Envelope) -> bytes:
    """Serialise an event to the compact JSON bytes that go on the bus (field order of the schema)."""
    return type(event).__pydantic_serializer__.to_json(event)
