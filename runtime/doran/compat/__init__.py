"""The breaking-change gate: compare JSON Schemas the way Confluent Schema Registry does, and in truth.

`compare` judges one topic's schema change under a compatibility mode and Confluent policy
(STRICT or LENIENT); `run_check` backs `doran contracts check`, against one previous version or a
whole history. Every rule the gate knows is in `RULES`.
"""

from __future__ import annotations

from doran.compat.catalogue import RULES, catalogue_markdown
from doran.compat.check import run_check
from doran.compat.errors import CompatError
from doran.compat.report import BREAKING, COMPATIBLE, MODES, CompatReport, Finding, compare
from doran.compat.rules import POLICIES, Effect, Rule

__all__ = [
    "BREAKING",
    "COMPATIBLE",
    "MODES",
    "POLICIES",
    "RULES",
    "CompatError",
    "CompatReport",
    "Effect",
    "Finding",
    "Rule",
    "catalogue_markdown",
    "compare",
    "run_check",
]
