"""The public names of each doran package are deliberate: adding or removing one is a decision."""

from __future__ import annotations

import importlib

import pytest

EXPECTED = {
    "doran.wire": [
        "CONTRACT_HEADER",
        "PREFIX_BYTES",
        "VALUE_SCHEMA_ID_HEADER",
        "ContractViolation",
        "Framing",
        "Headers",
        "KafkaRecord",
        "KnownSchemas",
        "SchemaDirectory",
        "SchemaRef",
        "Unframed",
        "UnknownTopic",
        "UnwritableVersion",
        "build",
        "canonical_json",
        "check_written_versions",
        "content_id",
        "contract_type",
        "decode",
        "decode_venue_message",
        "derive",
        "derive_event_id",
        "derived_object",
        "describe",
        "encode",
        "encoded_object",
        "event_object",
        "json_bytes",
        "kafka_headers",
        "kafka_record",
        "max_length",
        "message_key",
        "object_record",
        "parse_timestamp",
        "schema_prefix",
        "size_violation",
        "topic",
        "unframe",
        "utc_timestamp",
        "venue_message",
        "violations",
        "writing",
    ],
    "doran.json_pointer": ["PointerError", "escape", "follow", "parse", "pointer", "unescape"],
    "doran.errors": ["ContractError", "DoranError", "SchemaSourceError"],
    "doran.settings": ["InvalidSettings", "Settings"],
    "doran.environment": [
        "InvalidSettings",
        "allowed",
        "field_kinds",
        "invalid_settings",
        "is_secret",
        "variable",
    ],
    "doran.quoting": ["QUOTED_LENGTH", "elide", "quoted"],
}


@pytest.mark.parametrize("module", list(EXPECTED))
def test_exported_names(module: str) -> None:
    imported = importlib.import_module(module)
    assert sorted(imported.__all__) == sorted(EXPECTED[module])
    for name in imported.__all__:
        assert hasattr(imported, name), f"{module}.__all__ names {name}, which does not exist"


def test_contracts_exports_every_topic_event_and_payload() -> None:
    contracts = importlib.import_module("doran.contracts")
    for spec in contracts.TOPICS.values():
        assert spec.event_model.__name__ in contracts.__all__
    for name in (
        "Envelope",
        "SwapDemand",
        "ExactInSwapDemand",
        "ExactOutSwapDemand",
        "ExecuteTrade",
        "TradeResult",
        "QuoteSettlement",
    ):
        assert name in contracts.__all__
