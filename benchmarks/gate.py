"""`python -m benchmarks.gate`: how long the breaking-change gate takes, next to a yardstick.

Two cases, each the median of several runs and a ratio against a yardstick timed in the same run
(so the figure survives a slower machine):
- the project's own contract: `doran contracts check` of schemas/ against itself (loading, bundling
  and comparing every topic), against the time to load and bundle the same schemas;
- the largest recursive case: a union of twelve object kinds that all refer to the union again
  (the shape of Confluent's recursive "trade" test, written anew here), compared with itself and
  with a copy where one kind changed a type, against the time to `json.loads` both documents.
"""

from __future__ import annotations

import io
import json
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from doran.compat import compare, run_check
from doran.schema_source.schema_set import load_schema_set

__all__ = ["main", "recursive_union"]

ROOT = Path(__file__).resolve().parents[1]
RUNS = 5
KINDS = ["Circle", "Square", "Triangle", "Hexagon", "Ellipse", "Polygon", "Ring", "Star", "Arc", "Spline",
         "Sector", "Group"]  # fmt: skip


def recursive_union(size_type: str = "number") -> dict[str, Any]:
    """Twelve object kinds, each holding two unions of all twelve: every kind reaches every other."""

    def union() -> dict[str, Any]:
        return {"oneOf": [{"$ref": f"#/$defs/{kind}"} for kind in KINDS]}

    def properties(kind: str) -> dict[str, Any]:
        size = size_type if kind == "Circle" else "number"
        return {"kind": {"const": kind}, "size": {"type": size}, "inside": union(), "next": union()}

    kinds = {kind: {"type": "object", "required": ["kind"], "properties": properties(kind)} for kind in KINDS}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {"id": {"type": "string"}, "shape": union()},
        "$defs": kinds,
    }


def _median_s(fn: Callable[[], object]) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _bundle_schemas() -> None:
    schema_set = load_schema_set(ROOT / "schemas")
    for topic in schema_set.topics:
        schema_set.bundle(topic.name)


def _check_against_itself() -> None:
    out = io.StringIO()
    if run_check(str(ROOT / "schemas"), repo_root=ROOT, out=out) != 0:
        raise SystemExit(f"schemas/ against itself must pass:\n{out.getvalue()}")


def _line(name: str, gate_s: float, yardstick: str, yardstick_s: float) -> str:
    ratio = gate_s / yardstick_s if yardstick_s else float("inf")
    return f"  {name:<46} {gate_s * 1000:9.1f} ms   {ratio:8.1f}x {yardstick} ({yardstick_s * 1000:.2f} ms)"


def main() -> None:
    unchanged, changed = recursive_union(), recursive_union("integer")
    texts = [json.dumps(unchanged), json.dumps(changed)]
    findings = compare(unchanged, changed, "BACKWARD").findings
    if not any(f.rule_id == "TYPE_NARROWED" for f in findings):
        raise SystemExit("the recursive case must find its type change")
    lines = [
        f"Breaking-change gate, median of {RUNS} runs ({platform.python_implementation()} "
        f"{platform.python_version()}, {platform.machine()})",
        _line(
            "doran contracts check: schemas/ against itself",
            _median_s(_check_against_itself),
            "bundling schemas/",
            _median_s(_bundle_schemas),
        ),
        _line(
            "recursive 12-branch union, unchanged (FULL)",
            _median_s(lambda: compare(unchanged, unchanged, "FULL")),
            "json.loads of both",
            _median_s(lambda: [json.loads(text) for text in texts]),
        ),
        _line(
            "recursive 12-branch union, one type narrowed",
            _median_s(lambda: compare(unchanged, changed, "BACKWARD")),
            "json.loads of both",
            _median_s(lambda: [json.loads(text) for text in texts]),
        ),
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
