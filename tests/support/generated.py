"""Contracts packages rendered by the real codegen from schema trees a test builds.

`generated_package` renders a schemas/ folder with `make codegen`'s renderer beside it and imports
the contracts package it makes under a name of its own: its TopicSpecs work with `doran.wire` as
the repository's do (decode, build, writing), so a test holds a whole build of other contracts.
`build_environment` runs doran processes on such a build. `walkthrough_tree` is the repository's
schemas/ with the change docs/breaking-changes.md walks through: version 2 of norm.swap_demand and
its migration, from docs/walkthrough/.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from doran.codegen.generate import CONTRACTS_DIR, render, write

__all__ = ["DEMAND_MIGRATION", "WALKTHROUGH", "build_environment", "generated_package", "walkthrough_tree"]

REPO = Path(__file__).resolve().parents[2]
WALKTHROUGH = REPO / "docs" / "walkthrough" / "schemas"
DEMAND_MIGRATION = "migrations/norm.swap_demand.v1-v2.json"


def generated_package(schemas: Path) -> ModuleType:
    """Render schemas/ with the real codegen beside it and import the contracts package it makes."""
    root = schemas.parent
    write(render(schemas), root)
    package = root / CONTRACTS_DIR
    name = "generated_" + hashlib.sha256(str(package).encode()).hexdigest()[:16]
    spec = importlib.util.spec_from_file_location(
        name, package / "__init__.py", submodule_search_locations=[str(package)]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def build_environment(schemas: Path) -> dict[str, str]:
    """The environment of a process that runs doran built from `schemas` (after `generated_package`):
    its contracts package comes first on the path, before the repository's (`doran` is a namespace)."""
    return {**os.environ, "PYTHONPATH": str(schemas.parent / CONTRACTS_DIR.parents[1])}


def walkthrough_tree(root: Path, migration: dict[str, Any] | None = None) -> Path:
    """A copy of schemas/ under root with norm.swap_demand at version 2 (docs/breaking-changes.md);
    `migration`, when given, replaces the walkthrough's migration file."""
    schemas = root / "schemas"
    shutil.copytree(REPO / "schemas", schemas)
    shutil.copytree(WALKTHROUGH, schemas, dirs_exist_ok=True)
    if migration is not None:
        (schemas / DEMAND_MIGRATION).write_text(json.dumps(migration))
    registry = json.loads((schemas / "topics.json").read_text())
    demand = next(t for t in registry["topics"] if t["name"] == "norm.swap_demand")
    demand["earlier_versions"] = [
        {
            "schema_version": 1,
            "payload_schema": demand["payload_schema"],
            "migration": DEMAND_MIGRATION,
        }
    ]
    demand["payload_schema"] = "payloads/norm.swap_demand.v2.schema.json"
    demand["schema_version"] = 2
    (schemas / "topics.json").write_text(json.dumps(registry, indent=2))
    return schemas
