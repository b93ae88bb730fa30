"""`make bench-contracts`: µs per message of the hot-path validators vs the jsonschema reference, and
what Confluent wire framing adds to each message, against the decode it precedes.

Both run in the same process on the same golden messages; the figure that matters is the
ratio (the target is >= 30x for every topic's contract), not the absolute numbers, which depend on
the machine. The venue message ingest checks before a quote reaches the bus (a relay quote request,
taken from samples/relay-quotes.jsonl) is timed too, and reported beside the target.
"""

from __future__ import annotations

import functools
import json
import platform
import timeit
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema_rs
import orjson
from jsonschema import Draft202012Validator, FormatChecker

from doran.contracts import NEAR_INTENTS_QUOTE_REQUEST, TOPICS, bundled_schema
from doran.devkit.recording import read_recording
from doran.relay import Notification, parse_frame
from doran.wire import (
    VALUE_SCHEMA_ID_HEADER,
    Framing,
    KnownSchemas,
    SchemaRef,
    decode,
    decode_venue_message,
    kafka_record,
)

__all__ = ["main"]

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "schemas" / "examples"
RECORDING = ROOT / "samples" / "relay-quotes.jsonl"
REPORTS = ROOT / "reports"
TARGET_RATIO = 30.0
# Framing + unframing may add 1 µs per message (issue 15). Their cost does not grow with the message,
# the decode's does: the quickest decode binds. On the reference machine (a quiet 2-core box, the
# report of 7da44c3) that is exec.trade_result's, 6.4 µs, so the bar is 1 µs in 6.4: 15% of the decode.
FRAMING_TARGET_US = 1.0
FRAMING_TARGET_SHARE = 0.15


def _per_call_us(fn: Callable[[], object], number: int) -> float:
    """Best of 5 repeats, in µs per call: the least-disturbed measurement."""
    return min(timeit.repeat(fn, number=number, repeat=5)) / number * 1e6


def _reference_is_valid(validator: Draft202012Validator, data: bytes) -> bool:
    return validator.is_valid(json.loads(data))


def _rust_is_valid(validator: Any, data: bytes) -> bool:
    return bool(validator.is_valid(orjson.loads(data)))


def _venue_quote_request(data: bytes) -> object:
    """Ingest's check of a relay quote request, from bytes as the topic rows are (it parses the frame
    with orjson, then validates the venue message strictly)."""
    return decode_venue_message(NEAR_INTENTS_QUOTE_REQUEST, orjson.loads(data))


def _hot_paths() -> list[tuple[str, str, bytes, Callable[[bytes], object]]]:
    """(contract, kind, a valid message, its hot-path validator) for every topic and the venue message."""
    found: list[tuple[str, str, bytes, Callable[[bytes], object]]] = []
    for name, spec in TOPICS.items():
        example = sorted((EXAMPLES / name / "valid").glob("*.json"))[0]
        data = json.dumps(json.loads(example.read_bytes())["message"]).encode()
        found.append((name, "topic", data, functools.partial(decode, spec)))
    quote = next(
        frame.data
        for frame in map(parse_frame, read_recording(RECORDING))
        if isinstance(frame, Notification) and isinstance(frame.data, dict) and "quote_id" in frame.data
    )
    found.append(
        (NEAR_INTENTS_QUOTE_REQUEST.name, "venue message", orjson.dumps(quote), _venue_quote_request)
    )
    return found


def _framing_rows(decode_us: dict[str, float]) -> dict[str, Any]:
    """µs per message of framing (a producer's) and unframing (a consumer's, the id check included)
    for each topic, beside the decode that follows it: the yardstick, timed above in this run."""
    ids = {name: index for index, name in enumerate(TOPICS, start=1)}
    guids = {uuid.uuid5(uuid.NAMESPACE_URL, name): name for name in TOPICS}
    subjects: dict[SchemaRef, set[str]] = {i: {TOPICS[name].value_subject} for name, i in ids.items()}
    subjects |= {guid: {TOPICS[name].value_subject} for guid, name in guids.items()}
    # A stage's registry answers are asked once per schema and kept: the per-message cost is this one.
    framing = Framing.of(ids, KnownSchemas(subjects))
    by_topic = {name: guid for guid, name in guids.items()}
    rows: list[dict[str, Any]] = []
    for name, spec in TOPICS.items():
        example = sorted((EXAMPLES / name / "valid").glob("*.json"))[0]
        record = kafka_record(spec, decode(spec, json.dumps(json.loads(example.read_bytes())["message"])))
        framed = framing.frame(name, record.value)  # doran's producers write the prefix form
        guid_header = [*record.headers, (VALUE_SCHEMA_ID_HEADER, b"\x01" + by_topic[name].bytes)]
        assert framing.unframed(spec, framed, record.headers) == record.value
        assert framing.unframed(spec, record.value, guid_header) == record.value
        frame = _per_call_us(functools.partial(framing.frame, name, record.value), 200_000)
        prefix = _per_call_us(functools.partial(framing.unframed, spec, framed, record.headers), 200_000)
        header = _per_call_us(functools.partial(framing.unframed, spec, record.value, guid_header), 200_000)
        plain = _per_call_us(functools.partial(framing.unframed, spec, record.value, record.headers), 200_000)
        added = frame + prefix  # what one hop adds: its producer frames, its consumer unframes
        rows.append(
            {
                "topic": name,
                "frame_us": frame,
                "unframe_prefix_us": prefix,
                "unframe_header_us": header,
                "unframe_plain_us": plain,
                "decode_us": decode_us[name],
                "added_us": added,
                "share_of_decode": added / decode_us[name],
            }
        )
    print("\nwire framing, µs per message (best of 5); yardstick: the decode (hot path above) of the message")
    print(f"{'topic':<28}{'frame':>8}{'unframe':>9}{'(header)':>10}{'(plain)':>9}{'decode':>9}{'share':>8}")
    for r in rows:
        print(
            f"{r['topic']:<28}{r['frame_us']:>8.2f}{r['unframe_prefix_us']:>9.2f}{r['unframe_header_us']:>10.2f}"
            f"{r['unframe_plain_us']:>9.2f}{r['decode_us']:>9.2f}{r['share_of_decode']:>7.1%}"
        )
    share = max(float(r["share_of_decode"]) for r in rows)
    added = max(float(r["added_us"]) for r in rows)
    print(
        "frame = the producer's prefix; unframe = the consumer's, with the schema id check (prefix form, the "
        "record's CloudEvents headers beside it; the __value_schema_id header form and plain JSON shown in "
        f"brackets).\nworst frame + unframe: {share:.1%} of the decode it precedes, target <= "
        f"{FRAMING_TARGET_SHARE:.0%}: {'met' if share <= FRAMING_TARGET_SHARE else 'MISSED'} "
        f"({added:.2f} µs here; the issue's bar is {FRAMING_TARGET_US:g} µs, 15% of the quickest decode "
        "on the reference machine)"
    )
    return {
        "rows": rows,
        "worst_share_of_decode": share,
        "worst_added_us": added,
        "target_share": FRAMING_TARGET_SHARE,
    }


def main() -> None:
    rows: list[dict[str, Any]] = []
    for name, kind, data, hot_path in _hot_paths():
        schema = bundled_schema(name)
        reference = Draft202012Validator(schema, format_checker=FormatChecker())
        rust = jsonschema_rs.validator_for(schema)
        assert reference.is_valid(json.loads(data)) and rust.is_valid(orjson.loads(data))
        hot_path(data)  # valid, or this raises before anything is timed
        hot = _per_call_us(functools.partial(hot_path, data), 20_000)
        ref = _per_call_us(functools.partial(_reference_is_valid, reference, data), 500)
        rs = _per_call_us(functools.partial(_rust_is_valid, rust, data), 20_000)
        rows.append(
            {
                "contract": name,
                "kind": kind,
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
    print(
        f"{'contract':<28}{'bytes':>7}{'hot path':>11}{'jsonschema':>12}{'ratio':>9}{'(jsonschema-rs)':>17}"
    )
    for r in rows:
        print(
            f"{r['contract']:<28}{r['bytes']:>7}{r['hot_path_us']:>11.2f}{r['reference_us']:>12.1f}"
            f"{r['ratio']:>8.1f}x{r['jsonschema_rs_us']:>17.2f}"
        )
    # The target is over the topics' contracts, as it always was; the venue message is shown beside it.
    worst = min(float(r["ratio"]) for r in rows if r["kind"] == "topic")
    venue = min(float(r["ratio"]) for r in rows if r["kind"] == "venue message")
    verdict = "met" if worst >= TARGET_RATIO else "MISSED"
    print(
        "hot path = doran.wire.decode (pydantic strict JSON -> typed model) for a topic, orjson + "
        "doran.wire.decode_venue_message for the venue message; reference = json.loads + jsonschema "
        f"Draft202012Validator with format checker.\nworst topic ratio {worst:.1f}x, target "
        f"{TARGET_RATIO:.0f}x: {verdict} (venue message: {venue:.1f}x, "
        f"{'met' if venue >= TARGET_RATIO else 'MISSED'})"
    )
    framing = _framing_rows(
        {str(r["contract"]): float(r["hot_path_us"]) for r in rows if r["kind"] == "topic"}
    )
    REPORTS.mkdir(exist_ok=True)
    document = {
        "rows": rows,
        "worst_ratio": worst,
        "venue_message_ratio": venue,
        "target_ratio": TARGET_RATIO,
        "framing": framing,
    }
    (REPORTS / "bench-contracts.json").write_text(json.dumps(document, indent=2) + "\n")


if __name__ == "__main__":
    main()
