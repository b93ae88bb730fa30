"""Snapshot locks: any contract change shows up as a reviewable snapshot diff.

Accept an intended change with `pytest tests/contracts --snapshot-update` and commit the diff.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import golden
from syrupy.assertion import SnapshotAssertion

from doran.wire import ContractViolation, decode

REPO = Path(__file__).resolve().parents[2]

SCHEMA_FILES = sorted(
    p.relative_to(REPO / "schemas").as_posix() for p in (REPO / "schemas").rglob("*.schema.json")
)
GENERATED = sorted(
    p.relative_to(REPO).as_posix()
    for p in (REPO / "generated").rglob("*")
    if p.is_file() and "__pycache__" not in p.parts
)


@pytest.mark.parametrize("path", [*SCHEMA_FILES, "topics.json"])
def test_schema_canonical_form(path: str, snapshot: SnapshotAssertion) -> None:
    document = json.loads((REPO / "schemas" / path).read_text())
    assert json.dumps(document, sort_keys=True, indent=1, ensure_ascii=False) == snapshot


@pytest.mark.parametrize("path", GENERATED)
def test_generated_module(path: str, snapshot: SnapshotAssertion) -> None:
    assert (REPO / path).read_text() == snapshot


@pytest.mark.parametrize("example", list(golden.golden_examples()), ids=lambda e: e.id)
def test_golden_example_outcome(example: golden.Golden, snapshot: SnapshotAssertion) -> None:
    try:
        decode(example.spec, example.data)
        outcome: dict[str, object] = {"valid": True}
    except ContractViolation as exc:
        outcome = {"reason": exc.reason, "violations": [[v.pointer, v.message] for v in exc.violations]}
    assert outcome == snapshot
