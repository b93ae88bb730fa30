"""SimulatedAdapter: deterministic fills, an fsync'd log that witnesses every call, lookup after restart."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from doran.contracts import ExecuteTradeEvent
from doran.executor import ExecutorStateError, SimulatedAdapter, read_execution_log

CommandFactory = Callable[..., ExecuteTradeEvent]


def test_fills_are_a_function_of_the_command_id(tmp_path: Path, make_command: CommandFactory) -> None:
    one, two = SimulatedAdapter(tmp_path / "one.jsonl"), SimulatedAdapter(tmp_path / "two.jsonl")
    codes = {one.decide_fill(make_command(f"q-{i}").payload).result_code for i in range(200)}
    assert codes == {"FILLED", "VENUE_REJECTED"}
    for i in range(50):
        command = make_command(f"q-{i}").payload
        assert one.execute(command) == two.execute(command)
    one.close()
    two.close()


def test_every_call_is_logged_even_a_second_execution(venue_log: Path, make_command: CommandFactory) -> None:
    venue = SimulatedAdapter(venue_log)
    command = make_command("q-1").payload
    venue.execute(command)
    venue.execute(command)
    venue.execute(make_command("q-2").payload)
    assert venue.execution_counts() == {"cmd-q-1": 2, "cmd-q-2": 1}
    venue.close()


def test_lookup_reads_the_log_after_a_restart(venue_log: Path, make_command: CommandFactory) -> None:
    before = SimulatedAdapter(venue_log)
    fill = before.execute(make_command("q-1").payload)
    before.close()
    after = SimulatedAdapter(venue_log)
    assert after.lookup("cmd-q-1") == fill
    assert after.lookup("cmd-q-2") is None
    after.close()


def test_a_torn_last_line_is_no_execution(venue_log: Path, make_command: CommandFactory) -> None:
    venue = SimulatedAdapter(venue_log)
    venue.execute(make_command("q-1").payload)
    venue.close()
    with venue_log.open("ab") as log:
        log.write(b'{"command_id": "cmd-q-2", "result_co')
    assert [fill.command_id for fill in read_execution_log(venue_log)] == ["cmd-q-1"]
    assert SimulatedAdapter(venue_log).lookup("cmd-q-2") is None


def test_a_corrupt_line_in_the_middle_is_an_error(venue_log: Path) -> None:
    venue_log.parent.mkdir(parents=True)
    venue_log.write_bytes(b"not json\n")
    with pytest.raises(ExecutorStateError, match="line 1"):
        read_execution_log(venue_log)


def test_reject_rate_is_configurable(tmp_path: Path, make_command: CommandFactory) -> None:
    always = SimulatedAdapter(tmp_path / "v.jsonl", reject_one_in=1)
    assert always.execute(make_command("q-1").payload).result_code == "VENUE_REJECTED"
    always.close()
    with pytest.raises(ValueError, match="reject_one_in"):
        SimulatedAdapter(tmp_path / "w.jsonl", reject_one_in=0)


def test_flush_and_fsync_each_both_leave_every_line_in_the_file(
    tmp_path: Path, make_command: CommandFactory
) -> None:
    for fsync_each in (False, True):
        log = tmp_path / f"fsync-{fsync_each}.jsonl"
        venue = SimulatedAdapter(log, fsync_each=fsync_each)
        venue.execute(make_command("q-1").payload)
        venue.flush()
        assert [fill.command_id for fill in read_execution_log(log)] == ["cmd-q-1"]
        venue.close()
