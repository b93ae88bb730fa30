"""The reference validator: jsonschema's Draft 2020-12 over the bundled schemas, and the one place that
turns a refusal into violations with RFC 6901 JSON pointers.

It is the oracle the fast path (pydantic) is tested against, and it explains rejections. Patterns
follow ECMA-262 as 2020-12 asks: `$` matches only at the very end (Python's `re` also matches
before a trailing newline). A message quotes the bad value elided in the middle, so the reason always
shows, and a string breaking a `pattern` is explained in the words of the schema that holds the
pattern (its title and description), not by the regex.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any, TypeVar

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError as SchemaValidationError
from pydantic import ValidationError
from pydantic_core import to_jsonable_python

from doran.contracts import TOPICS, VENUE_MESSAGES, DeadLetter, DeadLetterReason, Violation
from doran.json_pointer import pointer
from doran.quoting import elide, quoted
from doran.schema_source.registry import BundledSchema
from doran.wire.errors import ContractViolation, UnknownTopic
from doran.wire.limits import max_length

__all__ = ["ecma_validator", "explain", "judge", "reference_validator", "violations"]

M = TypeVar("M")
# A contract named as the registry names it (its newest version), or a bundled schema itself.
Contract = str | BundledSchema

# The dead letter's limits: a hostile message must not bloat the record that reports it.
_MAX_VIOLATIONS = max_length(DeadLetter, "violations")
_MAX_POINTER = max_length(Violation, "pointer")
_MAX_MESSAGE = max_length(Violation, "message")
_UNESCAPED_DOLLAR = re.compile(r"(?<!\\)\$")
_REQUIRED = re.compile(r"^'(.+)' is a required property$")


@cache
def _ecma_regex(pattern: str) -> re.Pattern[str]:
    return re.compile(_UNESCAPED_DOLLAR.sub(r"\\Z", pattern))


def _ecma_pattern(
    validator: Any, pattern: str, instance: Any, schema: Any
) -> Iterator[SchemaValidationError]:
    if validator.is_type(instance, "string") and not _ecma_regex(pattern).search(instance):
        yield SchemaValidationError(_pattern_message(instance, pattern, schema))


def _pattern_message(instance: str, pattern: str, schema: Any) -> str:
    """What a string breaking `pattern` fails to be, as the schema holding the pattern describes it;
    the regex (elided) only when that schema has no description."""
    rule = schema.get("description") if isinstance(schema, dict) else None
    if not isinstance(rule, str) or not rule:
        return f"{quoted(instance)} does not match {elide(repr(pattern))}"
    title = schema.get("title")
    what = f"a valid {title}" if isinstance(title, str) else "of the form"
    return f"{quoted(instance)} is not {what}: {rule}"


_EcmaDraft202012 = validators.extend(Draft202012Validator, {"pattern": _ecma_pattern})  # type: ignore[no-untyped-call]


def ecma_validator(schema: dict[str, Any]) -> Draft202012Validator:
    """A Draft 2020-12 validator of a bundled schema whose patterns follow ECMA-262."""
    validator: Draft202012Validator = _EcmaDraft202012(schema)
    return validator


def _bundle(contract: Contract) -> BundledSchema:
    if isinstance(contract, BundledSchema):
        return contract
    if contract in TOPICS:
        return TOPICS[contract].bundle
    if contract in VENUE_MESSAGES:
        return VENUE_MESSAGES[contract].bundle
    raise UnknownTopic(contract)


@cache
def _compiled(bundle: BundledSchema) -> Draft202012Validator:
    return ecma_validator(bundle.document())


def reference_validator(contract: Contract) -> Draft202012Validator:
    """The oracle for one contract's messages (a topic's newest version, a venue message, or any
    bundled schema), compiled once per process."""
    return _compiled(_bundle(contract))


def _leaves(error: SchemaValidationError) -> Iterator[tuple[str, str]]:
    """Flatten one error into (pointer, message); for oneOf/anyOf, explain via the closest branch."""
    if error.validator in ("oneOf", "anyOf") and error.context:
        branches: dict[Any, list[SchemaValidationError]] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)
        # The branch that failed least, and deepest among those, is the one the author meant.
        closest = min(
            branches.values(), key=lambda errs: (len(errs), -max(len(e.absolute_path) for e in errs))
        )
        for sub in closest:
            yield from _leaves(sub)
        return
    base = list(error.absolute_path)
    if error.validator == "required":
        missing = _REQUIRED.match(error.message)
        yield pointer([*base, missing.group(1)] if missing else base), error.message
    elif error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {})) if isinstance(error.schema, dict) else set()
        for extra in sorted(k for k in error.instance if k not in allowed):
            yield pointer([*base, extra]), "unexpected property (the object is closed)"
    else:
        # jsonschema quotes the whole instance first: elided, a long one leaves room for the reason.
        yield pointer(base), error.message.replace(repr(error.instance), quoted(error.instance), 1)


def violations(contract: Contract, instance: Any, *, at: str = "") -> list[Violation]:
    """Every violation of the contract in a parsed message, sorted by pointer; [] if valid.

    `at` prefixes every pointer: where the message sits inside what was received.
    """
    found = sorted(
        {leaf for error in reference_validator(contract).iter_errors(instance) for leaf in _leaves(error)}
    )
    return [
        Violation(pointer=(at + p)[:_MAX_POINTER], message=m[:_MAX_MESSAGE])
        for p, m in found[:_MAX_VIOLATIONS]
    ]


def explain(contract: Contract, instance: Any, refusal: ValidationError, *, at: str = "") -> list[Violation]:
    """The violations behind a pydantic refusal of `instance`: the reference validator's when it finds
    any (it is the authority), else pydantic's own, located without its union-branch names."""
    found = violations(contract, to_jsonable_python(instance), at=at)
    if found:
        return found
    return [
        Violation(
            pointer=(at + pointer(_data_path(e["loc"])))[:_MAX_POINTER], message=e["msg"][:_MAX_MESSAGE]
        )
        for e in refusal.errors()[:_MAX_VIOLATIONS]
    ]


def judge(
    name: str,
    contract: Contract,
    instance: Any,
    lax: Callable[[Any], M],
    reason: DeadLetterReason,
    at: str = "",
) -> M:
    """The strict fast path refused `instance`: the reference validator decides. Strict mode refuses a
    few values JSON Schema accepts (an integer written 5.0): a message the reference accepts is taken,
    coerced by `lax`; otherwise ContractViolation with every violation, for `reason`."""
    found = violations(contract, instance, at=at)
    if not found:
        try:
            return lax(instance)
        except ValidationError as exc:
            found = explain(contract, instance, exc, at=at)
    raise ContractViolation(name, reason, found)


def _data_path(loc: tuple[int | str, ...]) -> list[int | str]:
    # pydantic inserts the name of each union branch it tried (a class name, or a tagged form with
    # brackets); they are not steps into the data.
    return [step for step in loc if not (isinstance(step, str) and (step[:1].isupper() or "[" in step))]
