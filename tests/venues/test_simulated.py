"""SimulatedVenue: deterministic fills, an fsync'd log that witnesses every call, recovery after restart."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.commands import command

from doran.contracts import ResultCode
from doran.executor import ExecutorStateError, Ticket
from doran.venues import SimulatedVenue, read_execution_log


def test_fills_are_a_function_of_the_command_id(tmp_path: Path) -> None:
    one, two = SimulatedVenue(tmp_path / "one.jsonl"), SimulatedVenue(tmp_path / "two.jsonl")
    codes = {one.decide_fill(command(f"q-{i}").payload).result_code for i in range(200)}
    assert codes == {"FILLED", "VENUE_REJECTED"}
    for i in range(50):
        sent = command(f"q-{i}").payload
        assert one.execute(sent) == two.execute(sent)
    one.close()
    two.close()


def test_every_call_is_logged_even_a_second_execution(tmp_path: Path) -> None:
    venue = SimulatedVenue(tmp_path / "venue.jsonl")
    first = command("q-1").payload
    venue.execute(first)
    venue.execute(first)
    venue.execute(command("q-2").payload)
    assert venue.execution_counts() == {"cmd-q-1": 2, "cmd-q-2": 1}
    venue.close()


def test_lookup_reads_the_log_after_a_restart(tmp_path: Path) -> None:
    venue_log = tmp_path / "venue.jsonl"
    before = SimulatedVenue(venue_log)
    fill = before.execute(command("q-1").payload)
    before.close()
    after = SimulatedVenue(venue_log)
    assert after.recover(command("q-1").payload, Ticket()).result_code in (
        ResultCode.RECOVERED_FILLED if fill.filled else ResultCode.RECOVERED_NOT_EXECUTED,
    )
    assert after.recover(command("q-2").payload, Ticket()).result_code is ResultCode.RECOVERED_NOT_EXECUTED
    after.close()


def test_a_torn_last_line_is_no_execution(tmp_path: Path) -> None:
    venue_log = tmp_path / "venue.jsonl"
    venue = SimulatedVenue(venue_log)
    venue.execute(command("q-1").payload)
    venue.close()
    with venue_log.open("ab") as log:
        log.write(b'{"command_id": "cmd-q-2", "result_co')
    assert [fill.command_id for fill in read_execution_log(venue_log)] == ["cmd-q-1"]
    recovered = SimulatedVenue(venue_log).recover(command("q-2").payload, Ticket())
    assert recovered.result_code is ResultCode.RECOVERED_NOT_EXECUTED


def test_a_corrupt_line_in_the_middle_is_an_error(tmp_path: Path) -> None:
    venue_log = tmp_path / "venue.jsonl"
    venue_log.write_bytes(b"not json\n")
    with pytest.raises(ExecutorStateError, match="line 1"):
        read_execution_log(venue_log)


def test_reject_rate_is_configurable(tmp_path: Path) -> None:
    always = SimulatedVenue(tmp_path / "v.jsonl", reject_one_in=1)
    assert always.execute(command("q-1").payload).result_code == "VENUE_REJECTED"
    always.close()
    with pytest.raises(ValueError, match="reject_one_in"):
        SimulatedVenue(tmp_path / "w.jsonl", reject_one_in=0)


def test_flush_and_fsync_each_both_leave_every_line_in_the_file(tmp_path: Path) -> None:
    for fsync_each in (False, True):
        log = tmp_path / f"fsync-{fsync_each}.jsonl"
        venue = SimulatedVenue(log, fsync_each=fsync_each)
        venue.execute(command("q-1").payload)
        venue.flush()
        assert [fill.command_id for fill in read_execution_log(log)] == ["cmd-q-1"]
        venue.close()
