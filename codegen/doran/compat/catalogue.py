"""The rule catalogue: every change the gate can report, by ID (see `Rule` for the fields)."""

from __future__ import annotations

from collections.abc import Mapping

from doran.compat.catalogue_structure import STRUCTURE_RULES
from doran.compat.catalogue_values import VALUE_RULES
from doran.compat.rules import Rule, index_rules

__all__ = ["RULES"]

RULES: Mapping[str, Rule] = index_rules(VALUE_RULES, STRUCTURE_RULES)
