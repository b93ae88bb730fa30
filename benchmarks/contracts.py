"""`make bench-contracts`: µs per message of the hot-path validator vs the jsonschema reference.

Both run in the same process on the same golden messages; the figure that matters is the
ratio (the target is >= 30x), not the absolute numbers, which depend on the machine.
"""

from __future__ import annotations

import functools
import json
import platform
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema_rs
import orjson
from jsonschema import Draft202012Validator, FormatChecker

from doran.contracts import TOPICS, bundled_schema
from doran.wire import decode

EXAMPLES = Path(__file__).resolve().parents[1] / "schemas" / "examples"
REPORTS = Path(__file__).resolve().parents[1] / "reports"
TARGET_RATIO = 30.0


def _per_call_us(fn: Callable[[], object], number: int) -> float:
    """Best of 5 repeats, in µs per call: the least-disturbed measurement."""
    return min(timeit.repeat(fn, number=number, repeat=5)) / number * 1e6


def _reference_is_valid(validator: Draft202012Validator, data: bytes) -> bool:
    return validator.is_valid(json.loads(data))


def _rust_is_valid(validator: Any, data: bytes) -> bool:
    return bool(validator.is_valid(orjson.loads(data)))


def main() -> None:
    rows: list[dict[str, Any]] = []
    for topic in TOPICS:
        example = sorted((EXAMPLES / topic / "valid").glob("*.json"))[0]
        data = json.dumps(json.loads(example.read_bytes())["message"]).encode()
        schema = bundled_schema(topic)
        reference = Draft202012Validator(schema, format_checker=FormatChecker())
        rust = jsonschema_rs.validator_for(schema)
        assert reference.is_valid(json.loads(data)) and rust.is_valid(orjson.loads(data))
        decode(topic, data)
        hot = _per_call_us(functools.partial(decode, topic, data), 20_000)
        ref = _per_call_us(functools.partial(_reference_is_valid, reference, data), 500)
        rs = _per_call_us(functools.partial(_rust_is_valid, rust, data), 20_000)
        rows.append(
            {
                "topic": topic,
                "bytes": len(data),
                "hot_path_us": hot,
                "reference_us": ref,
                "jsonschema_rs_us": rs,
                "ratio": ref / hot,
            }
        )
    print(
        f"contract validation, µs per message (best of 5), {platform.python_implementation()} "
        f"{platform.python_version()} on {platform.machine()}"
    )
    print(f"{'topic':<24}{'bytes':>7}{'hot path':>11}{'jsonschema':>12}{'ratio':>9}{'(jsonschema-rs)':>17}")
    for r in rows:
        print(
            f"{r['topic']:<24}{r['bytes']:>7}{r['hot_path_us']:>11.2f}{r['reference_us']:>12.1f}"
            f"{r['ratio']:>8.1f}x{r['jsonschema_rs_us']:>17.2f}"
        )
    worst = min(float(r["ratio"]) for r in rows)
    verdict = "met" if worst >= TARGET_RATIO else "MISSED"
    print(
        f"hot path = doran.wire.decode (pydantic strict JSON -> typed model); reference = json.loads + "
        f"jsonschema Draft202012Validator with format checker.\n"
        f"worst ratio {worst:.1f}x, target {TARGET_RATIO:.0f}x: {verdict}"
    )
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / "bench-contracts.json").write_text(
        json.dumps({"rows": rows, "worst_ratio": worst}, indent=2) + "\n"
    )


if __name__ == "__main__":
    main()
