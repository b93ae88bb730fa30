"""The reference validator: jsonschema's Draft 2020-12 over the bundled topic schemas.

It is the oracle the fast path is tested against, and it explains rejections: every violation
with its RFC 6901 JSON pointer. Patterns follow ECMA-262 as 2020-12 asks: `$` matches only at
the very end (Python's `re` also matches before a trailing newline).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError

from doran.contracts import Violation, bundled_schema

__all__ = ["reference_validator", "violations"]

_MAX_VIOLATIONS = 100  # the dead-letter payload's limit; a hostile message must not bloat it
_MAX_MESSAGE = 2048
_UNESCAPED_DOLLAR = re.compile(r"(?<!\\)\$")


@cache
def _ecma_regex(pattern: str) -> re.Pattern[str]:
    return re.compile(_UNESCAPED_DOLLAR.sub(r"\\Z", pattern))


def _ecma_pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and not _ecma_regex(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


_EcmaDraft202012 = validators.extend(Draft202012Validator, {"pattern": _ecma_pattern})  # type: ignore[no-untyped-call]


@cache
def reference_validator(topic: str) -> Draft202012Validator:
    """The oracle for one topic's messages (compiled once per process)."""
    validator: Draft202012Validator = _EcmaDraft202012(bundled_schema(topic))
    return validator


def _pointer(path: Iterator[Any] | Any) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _leaves(error: ValidationError) -> Iterator[tuple[str, str]]:
    """Flatten one error into (pointer, message); for oneOf/anyOf, explain via the closest branch."""
    if error.validator in ("oneOf", "anyOf") and error.context:
        branches: dict[Any, list[ValidationError]] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        # The branch that failed deepest and least is the one the author meant.
        closest = min(
            branches.values(), key=lambda errs: (-max(len(e.absolute_path) for e in errs), len(errs))
        )
        for sub in closest:
            yield from _leaves(sub)
        return
    base = _pointer(error.absolute_path)
    if error.validator == "required":
        missing = re.match(r"^'(.+)' is a required property$", error.message)
        yield (f"{base}/{missing.group(1)}" if missing else base), error.message
    elif error.validator == "additionalProperties" and isinstance(error.instance, dict):
        schema = error.schema if isinstance(error.schema, dict) else {}
        allowed = set(schema.get("properties", {}))
        for extra in sorted(k for k in error.instance if k not in allowed):
            yield f"{base}/{_pointer([extra])[1:]}", "unexpected property (the object is closed)"
    else:
        yield base, error.message


def violations(topic: str, instance: Any) -> list[Violation]:
    """Every violation of the topic's contract in a parsed message, sorted by pointer; [] if valid."""
    found = sorted(
        {leaf for error in reference_validator(topic).iter_errors(instance) for leaf in _leaves(error)}
    )
    return [Violation(pointer=p[:1024], message=m[:_MAX_MESSAGE]) for p, m in found[:_MAX_VIOLATIONS]]
