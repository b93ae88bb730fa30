"""Get every topic's bundled schema and compatibility mode from a git ref or a folder.

A folder is either a schema source tree (topics.json naming an envelope and payload files next to
it: bundled with doran.schema_source) or an export bundle (searched recursively for topics.json
and a self-contained `<topic>.schema.json` per topic). A git ref is read by extracting its
`schemas/` folder (`git archive REF schemas`) into a temporary directory.
"""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from doran.compat.errors import CompatError
from doran.errors import DoranError

__all__ = ["TopicSchemas", "extract_schemas_at_ref", "load_topic_schemas"]

REGISTRY_FILE = "topics.json"


@dataclass(frozen=True)
class TopicSchemas:
    """Bundled schema and compatibility mode of every topic of one contract version."""

    label: str
    schemas: Mapping[str, dict[str, Any]]
    compatibility: Mapping[str, str]


def _read_json(path: Path, label: str) -> Any:
    try:
        return json.loads(path.read_bytes())
    except OSError as exc:
        raise CompatError(label, f"cannot read {path.name}: {exc.strerror}") from None
    except ValueError as exc:
        raise CompatError(label, f"{path.name} is not JSON: {exc}") from None


def _find_registry(folder: Path, label: str) -> Path:
    if (folder / "schemas" / REGISTRY_FILE).is_file():
        return folder / "schemas" / REGISTRY_FILE
    found = sorted(folder.rglob(REGISTRY_FILE), key=lambda p: (len(p.parts), str(p)))
    if not found:
        raise CompatError(label, f"no {REGISTRY_FILE} found; point at a schemas/ folder or an export bundle")
    if len(found) > 1 and len(found[0].parts) == len(found[1].parts):
        raise CompatError(label, f"several {REGISTRY_FILE} at the same depth: {found[0]} and {found[1]}")
    return found[0]


def _refs(node: Any) -> Iterator[Any]:
    if isinstance(node, dict):
        if "$ref" in node:
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _is_source_tree(registry_dir: Path, registry: Mapping[str, Any]) -> bool:
    envelope = registry.get("envelope")
    payloads = [t.get("payload_schema") for t in registry["topics"]]
    return isinstance(envelope, str) and all(
        isinstance(p, str) and (registry_dir / p).is_file() for p in [envelope, *payloads]
    )


def _bundle_from_source(registry_dir: Path, names: list[str], label: str) -> dict[str, dict[str, Any]]:
    from doran.schema_source.schema_set import load_schema_set

    try:
        schema_set = load_schema_set(registry_dir)
        return {name: schema_set.bundle(name) for name in names}
    except DoranError as exc:
        raise CompatError(label, str(exc)) from None


def _bundle_from_export(folder: Path, names: list[str], label: str) -> dict[str, dict[str, Any]]:
    schemas: dict[str, dict[str, Any]] = {}
    for name in names:
        candidates = []
        for path in sorted(folder.rglob(f"{name}.schema.json")):
            document = _read_json(path, f"{label}/{path.relative_to(folder)}")
            if isinstance(document, dict) and all(
                isinstance(r, str) and r.startswith("#") for r in _refs(document)
            ):
                candidates.append((path, document))
        if not candidates:
            raise CompatError(label, f'no self-contained "{name}.schema.json" for topic "{name}"')
        if len(candidates) > 1:
            raise CompatError(
                label, f'several bundled schemas for topic "{name}": {candidates[0][0]}, {candidates[1][0]}'
            )
        schemas[name] = candidates[0][1]
    return schemas


def load_topic_schemas(folder: Path, label: str) -> TopicSchemas:
    """Every topic's bundled schema and mode from a schema source tree or an export bundle."""
    if not folder.is_dir():
        raise CompatError(label, f"{folder} is not a folder")
    registry_path = _find_registry(folder, label)
    registry = _read_json(registry_path, label)
    topics = registry.get("topics") if isinstance(registry, dict) else None
    if not isinstance(topics, list) or not all(
        isinstance(t, dict) and isinstance(t.get("name"), str) for t in topics
    ):
        raise CompatError(label, f"{registry_path.name} has no list of topics with names")
    names = [t["name"] for t in topics]
    compatibility = {t["name"]: str(t.get("compatibility", "BACKWARD")).upper() for t in topics}
    if _is_source_tree(registry_path.parent, registry):
        schemas = _bundle_from_source(registry_path.parent, names, label)
    else:
        schemas = _bundle_from_export(registry_path.parent, names, label)
    return TopicSchemas(label=label, schemas=schemas, compatibility=compatibility)


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
