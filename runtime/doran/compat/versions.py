"""Versions in the gate: each version of a topic is judged against its own past, and a new major
version passes when migrations reach it from the version it replaces.

A version's schemas form a line of their own (`lineage`): `doran contracts check` compares version
N of a topic with version N of the published contract, under the topic's mode, as it always has.
A newest version the published contract lacks is a new major version: allowed when the previous
newest version is still read, with a migration from it (and a downgrade where the mode asks old
readers to read new data); anything else breaks, as does dropping a version consumers read.
"""

from __future__ import annotations

from doran.compat.loader import TopicSchemas
from doran.compat.report import BREAKING, COMPATIBLE, MODES, Finding

__all__ = [
    "MAJOR_VERSION_ADDED",
    "MAJOR_VERSION_WITHOUT_MIGRATION",
    "VERSION_RETIRED",
    "lineage",
    "new_major_version",
    "retired_versions",
]

MAJOR_VERSION_ADDED = "MAJOR_VERSION_ADDED"
MAJOR_VERSION_WITHOUT_MIGRATION = "MAJOR_VERSION_WITHOUT_MIGRATION"
VERSION_RETIRED = "VERSION_RETIRED"


def lineage(topic: str, version: int, newest: int) -> str:
    """How the gate names one version of a topic: the newest by the topic's name, others with v<N>."""
    return topic if version == newest else f"{topic} v{version}"


def _finding(topic: str, rule: str, message: str, semantic: str) -> Finding:
    # The registry keeps each major version apart (docs/operations.md), so it takes every one of them:
    # only the semantic verdict can break.
    return Finding(topic, "", rule, message, COMPATIBLE, semantic, previous_version=1)


def new_major_version(topic: str, current: TopicSchemas, previous: TopicSchemas, mode: str) -> Finding:
    """The verdict on a newest version of `topic` that `previous` did not have."""
    newest, replaced = current.newest(topic), previous.newest(topic)
    if replaced not in current.versions[topic]:
        return _finding(
            topic,
            MAJOR_VERSION_WITHOUT_MIGRATION,
            f"Version {newest} replaced version {replaced}, which consumers no longer read and no migration "
            f"leaves: every version {replaced} record would be a dead letter. Keep version {replaced} in "
            "earlier_versions, with a migration to the next",
            BREAKING,
        )
    both_ways = "forward" in MODES[mode]
    missing = [v for v in range(replaced, newest) if both_ways and v not in current.downgrades[topic]]
    if missing:
        return _finding(
            topic,
            MAJOR_VERSION_WITHOUT_MIGRATION,
            f"Version {newest} is new, but the migration from version {missing[0]} has no downgrade, which "
            f"{mode} asks for: readers of version {missing[0]} must read what producers of the next write",
            BREAKING,
        )
    return _finding(
        topic,
        MAJOR_VERSION_ADDED,
        f"Version {newest} is new; migrations reach it from version {replaced}, which consumers still read",
        COMPATIBLE,
    )


def retired_versions(topic: str, current: TopicSchemas, previous: TopicSchemas) -> list[Finding]:
    """A version the previous contract read that the current one no longer reads."""
    return [
        _finding(
            topic,
            VERSION_RETIRED,
            f"Version {version} is no longer read: its records still on the topic would be dead letters",
            BREAKING,
        )
        for version in sorted(previous.versions[topic])
        if version not in current.versions[topic]
    ]
