"""The lint's rules about change: room to grow, versions and their migrations.

A topic that cannot gain an optional field under its mode and content model says why (`frozen`);
one that can, does not. Each migration's downgrade is there where the topic's mode asks old
readers to read new data (FORWARD and FULL modes); each operation names a field the version it
reads declares, and writes one the version it makes declares.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from doran.codegen.finding import LintFinding
from doran.compat.growth import can_grow
from doran.compat.resolver import SchemaResolver
from doran.json_pointer import parse
from doran.schema_source.migration import Migration
from doran.schema_source.registry import REGISTRY_FILE
from doran.schema_source.schema_set import SchemaSet

__all__ = ["lint_evolution"]


# Modes in which readers of a version must read the next version's data: its migration goes both ways.
_BOTH_WAYS = frozenset({"FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE"})
_READS = {"remove": "path", "map": "path", "convert": "path", "move": "source", "copy": "source"}
_WRITES = ("add", "default", "move", "copy")


def lint_evolution(schemas: SchemaSet) -> Iterator[LintFinding]:
    """Every finding about how the topics of schemas/ change."""
    yield from _lint_growth(schemas)
    yield from _lint_migrations(schemas)


def _lint_migrations(schemas: SchemaSet) -> Iterator[LintFinding]:
    for topic in schemas.topics:
        for earlier in topic.earlier_versions:
            migration = schemas.migrations[(topic.name, earlier.schema_version)]
            if migration.downgrade is None and topic.compatibility in _BOTH_WAYS:
                yield LintFinding(
                    migration.path,
                    "",
                    "MIGRATION_BOTH_WAYS",
                    f"{topic.name} is {topic.compatibility}: readers of version {earlier.schema_version} "
                    f"must read version {earlier.schema_version + 1} data too, so this migration needs a "
                    '"downgrade"',
                )
            older = earlier.payload_schema
            newer = topic.payload_schema_of(earlier.schema_version + 1)
            file = migration.path
            yield from _lint_operations(schemas, file, "upgrade", migration.upgrade, older, newer)
            if migration.downgrade is not None:
                yield from _lint_operations(schemas, file, "downgrade", migration.downgrade, newer, older)


def _lint_operations(
    schemas: SchemaSet, file: str, direction: str, migration: Migration, reads: str, writes: str
) -> Iterator[LintFinding]:
    """Each operation reads a field the version it starts from declares, and writes one of the next."""
    for index, operation in enumerate(migration.operations):
        checks = []
        if operation.op in _READS:
            read = operation.source if _READS[operation.op] == "source" else operation.path
            checks.append((str(read), reads, "reads"))
        if operation.op in _WRITES:
            checks.append((operation.path, writes, "writes"))
        for where, schema_path, verb in checks:
            if not _declares(schemas, schema_path, where):
                yield LintFinding(
                    file,
                    f"/{direction}/{index}",
                    "MIGRATION_FIELDS",
                    f'{operation.describe()} {verb} "{where}", which {schema_path} does not declare',
                )


def _declares(schemas: SchemaSet, schema_path: str, where: str) -> bool:
    """Whether the payload schema at schema_path declares the member the pointer `where` names (in
    any branch of a oneOf or anyOf)."""
    schema_file = schemas.files[schema_path]
    others = [(f.id, f.document) for f in schemas.files.values() if f is not schema_file]
    resolver = SchemaResolver(schema_file.document, schema_path, others)
    level: list[Any] = [schema_file.document]
    for token in parse(where):
        found: list[Any] = []
        for node in _branches(resolver, level):
            properties = node.get("properties", {})
            if token in properties:
                found.append(properties[token])
        if not found:
            return False
        level = found
    return True


def _branches(resolver: SchemaResolver, nodes: list[Any]) -> Iterator[dict[str, Any]]:
    for node in nodes:
        view = resolver.view(node)
        if view is False:
            continue
        yield view
        for combinator in ("oneOf", "anyOf"):
            yield from _branches(resolver, list(view.get(combinator, [])))


def _lint_growth(schemas: SchemaSet) -> Iterator[LintFinding]:
    """A topic that cannot gain an optional field says why (`frozen`); one that can, does not."""
    for index, topic in enumerate(schemas.topics):
        report = can_grow(schemas.bundle(topic.name), topic.compatibility, topic.compatibility_policy)
        where = f"/topics/{index}"
        if report.breaking and topic.frozen is None:
            rules = ", ".join(sorted({f.rule_id for f in report.findings if f.breaking}))
            yield LintFinding(
                REGISTRY_FILE,
                where,
                "ROOM_TO_GROW",
                f"{topic.name} cannot gain even an optional field under {topic.compatibility} with its "
                f"content model ({rules}): every change would need a new major version. Leave it room "
                '(see "Room to grow" in docs/contracts.md) or say why in "frozen"',
            )
        elif not report.breaking and topic.frozen is not None:
            yield LintFinding(
                REGISTRY_FILE,
                f"{where}/frozen",
                "ROOM_TO_GROW",
                f"{topic.name} says it is frozen, but under {topic.compatibility} with its content model "
                'it can gain optional fields: drop "frozen"',
            )
