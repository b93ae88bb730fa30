"""Judge changes under a compatibility mode: findings with a Confluent and a semantic verdict each.

Modes are Confluent's: BACKWARD (new reads old data), FORWARD (old reads new data), FULL (both),
each against the latest previous version or, for *_TRANSITIVE, against every previous version;
NONE reports the changes and breaks nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from doran.compat.errors import CompatError
from doran.compat.judge import breaks, effects
from doran.compat.rules import POLICIES
from doran.compat.walker import Walker

__all__ = ["BREAKING", "COMPATIBLE", "MODES", "POLICIES", "CompatReport", "Finding", "compare", "directions"]

COMPATIBLE = "compatible"
BREAKING = "breaking"

MODES: Mapping[str, tuple[str, ...]] = {
    "NONE": (),
    "BACKWARD": ("backward",),
    "BACKWARD_TRANSITIVE": ("backward",),
    "FORWARD": ("forward",),
    "FORWARD_TRANSITIVE": ("forward",),
    "FULL": ("backward", "forward"),
    "FULL_TRANSITIVE": ("backward", "forward"),
}


def directions(mode: str, topic: str = "") -> tuple[str, ...]:
    """The directions a mode checks; CompatError for a mode Confluent does not know."""
    try:
        return MODES[mode.upper()]
    except KeyError:
        source = f"{topic} mode {mode!r}" if topic else f"mode {mode!r}"
        raise CompatError(source, f"unknown compatibility mode; expected one of {', '.join(MODES)}") from None


def _policy(policy: str, topic: str) -> str:
    if policy.upper() not in POLICIES:
        source = f"{topic} policy {policy!r}" if topic else f"policy {policy!r}"
        raise CompatError(source, f"unknown compatibility policy; expected one of {', '.join(POLICIES)}")
    return policy.upper()


@dataclass(frozen=True)
class Finding:
    """One change of one topic's schema, judged under the topic's mode.

    `previous_version` is the 1-based position, in the list given to `compare`, of the version the
    change is measured from; both verdicts are "compatible" or "breaking".
    """

    topic: str
    pointer: str
    rule_id: str
    message: str
    confluent_verdict: str
    semantic_verdict: str
    previous_version: int

    @property
    def breaking(self) -> bool:
        return BREAKING in (self.confluent_verdict, self.semantic_verdict)

    def __str__(self) -> str:
        verdicts = f"Confluent {self.confluent_verdict}, semantic {self.semantic_verdict}"
        return f"{self.message} [{self.rule_id}: {verdicts}]"


@dataclass(frozen=True)
class CompatReport:
    """Every finding of one topic under one mode and Confluent compatibility policy."""

    topic: str
    mode: str
    findings: tuple[Finding, ...]
    policy: str = "STRICT"

    @property
    def breaking(self) -> bool:
        """True if any finding breaks the mode, by Confluent's rule or in truth."""
        return any(f.breaking for f in self.findings)

    @property
    def refused_by_registry(self) -> bool:
        """True if Confluent Schema Registry would refuse to register the current schema."""
        return any(f.confluent_verdict == BREAKING for f in self.findings)


def _versions(previous: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    if isinstance(previous, Mapping):
        return [previous]
    if isinstance(previous, str | bytes) or not all(isinstance(p, Mapping) for p in previous):
        raise CompatError("previous", "expected a schema (a mapping) or a list of schemas, oldest first")
    return list(previous)


def compare(
    previous: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    current: Mapping[str, Any],
    mode: str,
    *,
    topic: str = "",
    policy: str = "STRICT",
) -> CompatReport:
    """Findings from the previous version(s) (oldest first, newest last) to current, judged under mode.

    Transitive modes compare with every previous version, the others with the newest only. The
    Confluent verdict follows the subject's compatibility policy (STRICT, Confluent's default, or
    LENIENT); the semantic verdict does not depend on it.
    """
    checked = directions(mode, topic)
    policy = _policy(policy, topic)
    versions = _versions(previous)
    positions = range(1, len(versions) + 1)
    if not mode.upper().endswith("_TRANSITIVE"):
        positions = range(len(versions), len(versions) + 1) if versions else range(0)
    where = f"{topic} " if topic else ""
    findings: list[Finding] = []
    for position in positions:
        labels = (f"{where}previous version {position}", f"{where}current version")
        walker = Walker(
            versions[position - 1], current, labels, directions=checked or ("backward",), policy=policy
        )
        for change in walker.run():
            confluent, semantic = effects(change, policy)
            findings.append(
                Finding(
                    topic=topic,
                    pointer=change.pointer,
                    rule_id=change.rule_id,
                    message=change.message,
                    confluent_verdict=BREAKING if breaks(confluent, checked) else COMPATIBLE,
                    semantic_verdict=BREAKING if breaks(semantic, checked) else COMPATIBLE,
                    previous_version=position,
                )
            )
    return CompatReport(topic=topic, mode=mode.upper(), findings=tuple(findings), policy=policy)
