"""The demo's topic tally reads records in every framing the stages and other producers write."""

from __future__ import annotations

import json

from doran.devkit.demo.topic_tally import TopicTally
from doran.wire import VALUE_SCHEMA_ID_HEADER, schema_prefix

RESULT = json.dumps({"event_id": "r-1", "payload": {"command_id": "cmd-1", "result_code": "FILLED"}}).encode()


def test_prefixed_header_form_and_bare_records_count_alike_and_broken_framing_is_only_counted() -> None:
    tally = TopicTally()
    tally.add("exec.trade_result", schema_prefix(5) + RESULT)
    tally.add("exec.trade_result", RESULT, [(VALUE_SCHEMA_ID_HEADER, b"\x01" + bytes(16))])
    tally.add("exec.trade_result", RESULT.replace(b"r-1", b"r-2"))
    tally.add("exec.trade_result", b"\x07" + RESULT)

    assert tally.count == 4
    assert tally.outcomes == {"r-1": "FILLED", "r-2": "FILLED"}
    assert tally.command_ids == {"cmd-1"}
