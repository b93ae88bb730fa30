"""A real process SIGKILLed between begin and complete leaves `processing` on disk; the restart recovers
it through the venue's log and never executes it a second time."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support.commands import command

from doran.contracts import ExecuteTradeEvent, ResultCode
from doran.executor import CommandState, ExecutorStore, OutcomeKind, run_batch
from doran.venues import SimulatedVenue

NOW = datetime(2026, 3, 28, 20, 0, 8, tzinfo=UTC)

# The executor's first half, then a hang: the parent kills it where complete() would come.
CHILD = """
import json, sys, time
from datetime import UTC, datetime
from pathlib import Path
from doran.contracts import ExecuteTradeEvent
from doran.executor import ExecutorStore, Ticket
from doran.venues import SimulatedVenue

state_dir, venue_log, reach_venue, commands = sys.argv[1], sys.argv[2], sys.argv[3] == "yes", sys.argv[4]
commands = [ExecuteTradeEvent.model_validate(c) for c in json.loads(commands)]
store = ExecutorStore.open(Path(state_dir))
venue = SimulatedVenue(Path(venue_log))
store.begin([(command, Ticket()) for command in commands], now=datetime.now(UTC))
if reach_venue:
    for command in commands:
        venue.execute(command.payload)
print("between begin and complete", flush=True)
time.sleep(120)
"""


def kill_between_begin_and_complete(
    state_dir: Path, venue_log: Path, commands: list[ExecuteTradeEvent], *, reach_venue: bool
) -> None:
    encoded = json.dumps([command.model_dump(mode="json") for command in commands])
    argv = [
        sys.executable,
        "-c",
        CHILD,
        str(state_dir),
        str(venue_log),
        "yes" if reach_venue else "no",
        encoded,
    ]
    with subprocess.Popen(argv, stdout=subprocess.PIPE, text=True) as child:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "between begin and complete"
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL


@pytest.mark.parametrize("reach_venue", [False, True], ids=["killed-before-venue", "killed-after-venue"])
def test_sigkill_between_begin_and_complete(state_dir: Path, venue_log: Path, reach_venue: bool) -> None:
    commands = [command(n) for n in range(8)]
    kill_between_begin_and_complete(state_dir, venue_log, commands, reach_venue=reach_venue)

    with ExecutorStore.open(state_dir) as store:
        assert [store.get(c.payload.command_id) is not None for c in commands] == [True] * 8
        assert {record.state for record in store} == {CommandState.PROCESSING}
        venue = SimulatedVenue(venue_log)
        before = venue.execution_counts()
        outcomes = run_batch(commands, store, venue, now=NOW).commands

    assert before == ({c.payload.command_id: 1 for c in commands} if reach_venue else {})
    assert venue.execution_counts() == before  # recovery executed nothing
    assert {o.kind for o in outcomes} == {OutcomeKind.RECOVERED}
    for sent, outcome in zip(commands, outcomes, strict=True):
        assert outcome.result is not None
        fill = venue.decide_fill(sent.payload) if reach_venue else None
        # What the venue's log says it did: filled, or rejected / never got it (not executed).
        expected = ResultCode.RECOVERED_FILLED if fill and fill.filled else ResultCode.RECOVERED_NOT_EXECUTED
        assert outcome.result.payload.result_code is expected
