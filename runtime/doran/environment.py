"""Where settings meet the environment: the variable that sets each field, what a field allows, and
the one line that says what is wrong with an invalid environment.

`doran.settings.Settings` raises `InvalidSettings` instead of pydantic's ValidationError, so every
command reports a bad value the same way (`doran.cli.failure.exit_with`: one line, exit code 2):
the variable the user set (the alias they used, for a field with several names), what is wrong
with its value and what is allowed. A secret's value is never shown.
"""

from __future__ import annotations

import os
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import AliasChoices, SecretStr, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

from doran.errors import DoranError
from doran.quoting import quoted

__all__ = ["InvalidSettings", "allowed", "field_kinds", "invalid_settings", "is_secret", "variable"]


class InvalidSettings(DoranError, ValueError):
    """An environment variable holds a value its setting does not allow; the message names it."""


def variable(model: type[BaseSettings], name: str, environ: Mapping[str, str] | None = None) -> str:
    """The environment variable of field `name`: for a field with several names, the one set in
    `environ` (the process's environment by default), else its first."""
    field = model.model_fields[name]
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        names = [choice for choice in alias.choices if isinstance(choice, str)]
        present = {key.upper() for key in (os.environ if environ is None else environ)}
        return next((choice for choice in names if choice.upper() in present), names[0])
    prefix = str(model.model_config.get("env_prefix", ""))
    return f"{prefix}{alias if isinstance(alias, str) else name}".upper()


def is_secret(field: FieldInfo) -> bool:
    """Whether the field holds a secret, whose value is never shown."""
    return SecretStr in field_kinds(field)


def allowed(field: FieldInfo) -> str:
    """What the field takes, in words: `a number from 0 to 1000`, `near_intents or simulated`."""
    kinds = field_kinds(field)
    words: list[str] = []
    for kind in kinds:
        if get_origin(kind) is Literal:
            words.append(" or ".join(str(choice) for choice in get_args(kind)))
        elif kind is not type(None):
            words.append(_NOUNS.get(get_origin(kind) or kind, getattr(kind, "__name__", str(kind))))
    text = " or ".join(words) + _bounds(field)
    return text + (", or unset" if type(None) in kinds else "")


def invalid_settings(
    model: type[BaseSettings], refusal: ValidationError, environ: Mapping[str, str] | None = None
) -> InvalidSettings:
    """One line for everything wrong in `refusal`: each variable with its value and what it allows."""
    problems: list[str] = []
    for error in refusal.errors(include_url=False):
        name = _field_at(model, error["loc"])
        if name is None:  # a rule between settings: its message names them
            problems.append(str(error["msg"]).removeprefix("Value error, "))
            continue
        field = model.model_fields[name]
        shown = " (a secret, not shown)" if is_secret(field) else f"={quoted(error.get('input'))}"
        wrong = _WRONG.get(error["type"]) or _wrong_type(error["type"])
        wrong = wrong or str(error["msg"]).removeprefix("Value error, ")
        problems.append(f"{variable(model, name, environ)}{shown} {wrong} (allowed: {allowed(field)})")
    return InvalidSettings("; ".join(problems))


def _field_at(model: type[BaseSettings], location: tuple[int | str, ...]) -> str | None:
    """The field an error is about: its location is the field's name, or the alias it was read by."""
    if not location:
        return None
    at = str(location[0])
    if at in model.model_fields:
        return at
    for name, field in model.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices) and at.upper() in (str(c).upper() for c in alias.choices):
            return name
    return None


_NOUNS: dict[Any, str] = {
    dict: "a JSON object",
    int: "an integer",
    float: "a number",
    bool: "true or false",
    str: "text",
    SecretStr: "secret text",
    Path: "a path",
}

_WRONG = {
    "greater_than": "is out of range",
    "greater_than_equal": "is out of range",
    "less_than": "is out of range",
    "less_than_equal": "is out of range",
    "literal_error": "is not one of the choices",
    "string_type": "is not text",
    "string_pattern_mismatch": "does not have the allowed form",
    "string_too_short": "is too short",
    "string_too_long": "is too long",
}


def _wrong_type(kind: str) -> str | None:
    """`is not an integer` for the parsing errors: the value is not of the field's type at all."""
    for prefix, noun in (("int", "an integer"), ("float", "a number"), ("bool", "true or false")):
        if kind.startswith(prefix):
            return f"is not {noun}"
    return None


def field_kinds(field: FieldInfo) -> tuple[Any, ...]:
    """The types a field takes: `int | None` -> (int, NoneType)."""
    annotation = field.annotation
    if get_origin(annotation) in (Union, types.UnionType):
        return get_args(annotation)
    return (annotation,)


def _bounds(field: FieldInfo) -> str:
    low = high = None
    parts: list[str] = []
    for rule in field.metadata:
        if isinstance(rule, annotated_types.Ge):
            low = f"{rule.ge:g}" if isinstance(rule.ge, float) else f"{rule.ge}"
        elif isinstance(rule, annotated_types.Gt):
            parts.append(f"above {rule.gt}")
        elif isinstance(rule, annotated_types.Le):
            high = f"{rule.le:g}" if isinstance(rule.le, float) else f"{rule.le}"
        elif isinstance(rule, annotated_types.Lt):
            parts.append(f"below {rule.lt}")
        elif getattr(rule, "pattern", None):
            parts.append(f"matching {rule.pattern}")
    if low is not None and high is not None:
        parts.insert(0, f"from {low} to {high}")
    elif low is not None:
        parts.insert(0, f"of at least {low}")
    elif high is not None:
        parts.insert(0, f"of at most {high}")
    return f" {', '.join(parts)}" if parts else ""
