"""Search an instance proving a semantic break: valid under one version, rejected by the other.

hypothesis-jsonschema generates instances of the accepting schema (derandomized, a bounded number,
not shrunk: shrinking a large schema's instance takes minutes); the first one the other schema
rejects is the witness. The rejection is tied to the
findings whose pointer leads to the failing keyword. Without hypothesis-jsonschema (it ships with
the dev extra) no witness is searched.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for

from doran.json_pointer import pointer

__all__ = ["find_witness"]

_EXAMPLES = 15


def find_witness(accepting: Mapping[str, Any], rejecting: Mapping[str, Any]) -> tuple[Any, str] | None:
    """(instance, pointer of the failing keyword's schema in `rejecting`), or None when none was found."""
    try:
        hypothesis = importlib.import_module("hypothesis")
        strategies = importlib.import_module("hypothesis_jsonschema")
    except ImportError:
        return None
    reader = validator_for(rejecting, default=Draft202012Validator)(rejecting)
    writer = validator_for(accepting, default=Draft202012Validator)(accepting)
    settings = hypothesis.settings(
        max_examples=_EXAMPLES, derandomize=True, database=None, deadline=None,
        phases=[hypothesis.Phase.generate], suppress_health_check=list(hypothesis.HealthCheck),
    )  # fmt: skip
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            instance = hypothesis.find(
                strategies.from_schema(accepting),
                lambda value: writer.is_valid(value) and not reader.is_valid(value),
                settings=settings,
            )
    except Exception:  # no example found, or a schema hypothesis-jsonschema cannot generate from
        return None
    error = best_match(reader.iter_errors(instance))
    return instance, pointer(error.absolute_schema_path) if error is not None else ""
