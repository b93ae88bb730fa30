"""Get every topic's bundled schema, compatibility mode and policy from a folder or a git ref.

A folder is a schema source tree (topics.json beside the envelope and payload schemas: bundled with
`doran.schema_source`), the folder holding one (`schemas/`), or an export bundle written by
`doran schemas export` (topics.json verbatim, and `bundle.json` naming each topic's self-contained
schema). The registry is read by the one loader, `doran.schema_source.registry`. A git ref is read
by extracting its `schemas/` folder (`git archive REF schemas`) into a temporary directory.
"""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from doran.compat.errors import CompatError
from doran.errors import DoranError
from doran.schema_source.registry import REGISTRY_FILE, TopicRegistry, load_topic_registry
from doran.schema_source.schema_set import SchemaSet

__all__ = ["BUNDLE_MANIFEST", "TopicSchemas", "extract_schemas_at_ref", "git_tags", "load_topic_schemas"]

BUNDLE_MANIFEST = "bundle.json"  # written by `doran schemas export` beside topics.json


@dataclass(frozen=True)
class TopicSchemas:
    """Bundled schema, compatibility mode and Confluent policy of every topic of one contract version.

    `schemas` holds each topic's newest version; `versions` every version it reads (newest included),
    `downgrades` the versions whose migration to the next has a downgrade; `source`, the schema files
    it was bundled from (None for an export bundle).
    """

    label: str
    schemas: Mapping[str, dict[str, Any]]
    compatibility: Mapping[str, str]
    policy: Mapping[str, str]
    versions: Mapping[str, Mapping[int, dict[str, Any]]]
    downgrades: Mapping[str, frozenset[int]]
    source: SchemaSet | None = None

    def newest(self, topic: str) -> int:
        return max(self.versions[topic])


def _registry_folder(folder: Path, label: str) -> Path:
    for candidate in (folder, folder / "schemas"):
        if (candidate / REGISTRY_FILE).is_file():
            return candidate
    raise CompatError(label, f"no {REGISTRY_FILE} in {folder} or {folder / 'schemas'}")


def _registry(folder: Path, label: str) -> TopicRegistry:
    try:
        return load_topic_registry(folder)
    except DoranError as exc:
        raise CompatError(label, str(exc)) from None
    except KeyError as exc:  # a registry written before a field the loader now reads existed
        raise CompatError(
            label, f"{REGISTRY_FILE} has no {exc} field: it predates the registry format doran reads"
        ) from None


def _read_json(path: Path, label: str) -> Any:
    try:
        return json.loads(path.read_bytes())
    except OSError as exc:
        raise CompatError(label, f"cannot read {path.name}: {exc.strerror}") from None
    except ValueError as exc:
        raise CompatError(label, f"{path.name} is not JSON: {exc}") from None


# Per topic: every version's bundled schema, and the versions whose migration has a downgrade.
_Versions = dict[str, tuple[dict[int, dict[str, Any]], frozenset[int]]]


def _bundled(folder: Path, file: Any, name: str, label: str) -> dict[str, Any]:
    if not isinstance(file, str) or not (folder / file).is_file():
        raise CompatError(label, f'no bundled schema "{file}" for topic "{name}"')
    document = _read_json(folder / file, f"{label}/{file}")
    if not isinstance(document, dict):
        raise CompatError(f"{label}/{file}", "is not a JSON object schema")
    return document


def _from_export(folder: Path, registry: TopicRegistry, label: str) -> _Versions:
    manifest = _read_json(folder / BUNDLE_MANIFEST, label)
    entries = manifest.get("topics") if isinstance(manifest, dict) else None
    if not isinstance(entries, dict):
        raise CompatError(label, f"{BUNDLE_MANIFEST} has no topics")
    found: _Versions = {}
    for topic in registry.topics:
        entry = entries.get(topic.name)
        if not isinstance(entry, dict) or not isinstance(entry.get("schema"), str):
            raise CompatError(label, f'{BUNDLE_MANIFEST} names no schema for topic "{topic.name}"')
        versions = {topic.schema_version: _bundled(folder, entry["schema"], topic.name, label)}
        downgrades: set[int] = set()
        for earlier in entry.get("earlier_versions", []):  # exports made before versions have none
            versions[earlier["schema_version"]] = _bundled(folder, earlier.get("schema"), topic.name, label)
            if earlier.get("downgrade"):
                downgrades.add(earlier["schema_version"])
        found[topic.name] = (versions, frozenset(downgrades))
    return found


def _from_source(folder: Path, registry: TopicRegistry, label: str) -> tuple[_Versions, SchemaSet]:
    from doran.schema_source.schema_set import load_schema_set

    try:
        schema_set = load_schema_set(folder)
        found: _Versions = {
            t.name: (
                {v: schema_set.bundle(t.name, v) for v in t.versions},
                frozenset(
                    v for (name, v), m in schema_set.migrations.items() if name == t.name and m.downgrade
                ),
            )
            for t in registry.topics
        }
        return found, schema_set
    except DoranError as exc:
        raise CompatError(label, str(exc)) from None
    except KeyError as exc:
        raise CompatError(
            label, f"{REGISTRY_FILE} has no {exc} field: it predates the format doran reads"
        ) from None


def load_topic_schemas(folder: Path, label: str) -> TopicSchemas:
    """Every topic's bundled schema, mode and policy from a schema source tree or an export bundle."""
    if not folder.is_dir():
        raise CompatError(label, f"{folder} is not a folder")
    root = _registry_folder(folder, label)
    registry = _registry(root, label)
    source = None
    if (root / BUNDLE_MANIFEST).is_file():
        found = _from_export(root, registry, label)
    else:
        found, source = _from_source(root, registry, label)
    return TopicSchemas(
        label=label,
        schemas={t.name: found[t.name][0][t.schema_version] for t in registry.topics},
        compatibility={t.name: t.compatibility.upper() for t in registry.topics},
        policy={t.name: t.compatibility_policy.upper() for t in registry.topics},
        versions={name: versions for name, (versions, _) in found.items()},
        downgrades={name: downgrades for name, (_, downgrades) in found.items()},
        source=source,
    )


def _git(repo_root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", "-C", str(repo_root), *args], capture_output=True, check=False)
    except OSError as exc:
        raise CompatError(str(repo_root), f"cannot run git: {exc.strerror}") from None


def extract_schemas_at_ref(repo_root: Path, ref: str, into: Path) -> Path:
    """Extract `schemas/` as it was at ref into the folder `into`; return the extracted folder."""
    if _git(repo_root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").returncode != 0:
        raise CompatError(ref, f"not a folder, and not a commit in the git repository at {repo_root}")
    archive = _git(repo_root, "archive", "--format=tar", ref, "schemas")
    if archive.returncode != 0:
        detail = archive.stderr.decode(errors="replace").strip()
        raise CompatError(ref, f"has no schemas/ folder to compare with ({detail})")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    return into / "schemas"


def git_tags(repo_root: Path, pattern: str) -> list[str]:
    """Tags matching a glob pattern, oldest first (by creation date)."""
    listed = _git(repo_root, "tag", "--list", pattern, "--sort=creatordate")
    if listed.returncode != 0:
        raise CompatError(
            str(repo_root), f"cannot list tags: {listed.stderr.decode(errors='replace').strip()}"
        )
    return [line for line in listed.stdout.decode().splitlines() if line.strip()]
