"""A deterministic simulated venue: fills or rejects at once, for tests and runs that need no relay.

Its append-only, fsync'd JSONL log IS the simulated venue's truth: a line on disk means the venue
executed the command, so `recover` after a crash reads that log, and tests count its lines to
prove no command_id was executed twice. The log is this process's: a command another replica
executed is unknown to it (several replicas need a venue they share, like the relay).
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

import orjson

from doran.contracts import ExecuteTrade, ResultCode, TradeStatus
from doran.executor import ExecutorStateError, Prepared, Sending, Sent, Ticket, VenueOutcome

__all__ = ["EXECUTION_LOG_NAME", "SimulatedVenue", "VenueFill", "read_execution_log"]

EXECUTION_LOG_NAME = "simulated-venue.jsonl"
FillCode = Literal["FILLED", "VENUE_REJECTED"]


@dataclass(frozen=True, slots=True)
class VenueFill:
    """What the simulated venue did with one command: filled or rejected it, with a note."""

    command_id: str
    result_code: FillCode
    note: str

    @property
    def filled(self) -> bool:
        return self.result_code == "FILLED"


def read_execution_log(path: Path) -> list[VenueFill]:
    """Every execution in a simulated venue's log, in order; a torn last line (crash mid-write) is none."""
    if not path.exists():
        return []
    fills = []
    lines = path.read_bytes().split(b"\n")
    # The text after the last newline is a write the crash interrupted: fsync never returned for it.
    for number, line in enumerate(lines[:-1], start=1):
        try:
            entry = orjson.loads(line)
            fills.append(VenueFill(str(entry["command_id"]), entry["result_code"], str(entry["note"])))
        except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
            raise ExecutorStateError(
                f"Simulated venue log {path} line {number} is not an execution: {exc}"
            ) from exc
    return fills


def _outcome(fill: VenueFill) -> VenueOutcome:
    if fill.filled:
        return VenueOutcome(TradeStatus.FILLED, ResultCode.FILLED, fill.note)
    return VenueOutcome(TradeStatus.REJECTED, ResultCode.VENUE_REJECTED, fill.note)


class SimulatedVenue:
    """Deterministic venue: sha256(command_id) rejects about one command in `reject_one_in`, fills others."""

    def __init__(self, log_path: Path, *, reject_one_in: int = 16, fsync_each: bool = False) -> None:
        if reject_one_in < 1:
            raise ValueError(f"reject_one_in must be at least 1, got {reject_one_in}")
        self.log_path = log_path
        self.reject_one_in = reject_one_in
        # False: one fsync per batch in flush(), like the store's group commit. A killed process
        # loses nothing either way (the write is in the page cache); a lost node may lose the
        # unflushed lines, and then those executions did not happen at this simulated venue.
        self.fsync_each = fsync_each
        self._unsynced = False
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self._executed = {fill.command_id: fill for fill in reversed(read_execution_log(log_path))}
        self._fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def decide_fill(self, command: ExecuteTrade) -> VenueFill:
        """The fill this venue gives a command; a pure function of the command."""
        digest = hashlib.sha256(command.command_id.encode()).digest()
        if int.from_bytes(digest[:8], "big") % self.reject_one_in == 0:
            return VenueFill(command.command_id, "VENUE_REJECTED", "simulated venue rejected the trade")
        given, taken = f"{command.amount_in} {command.asset_in}", f"{command.amount_out} {command.asset_out}"
        note = f"simulated fill: {given} for {taken}"
        return VenueFill(command.command_id, "FILLED", note)

    def prepare(self, command: ExecuteTrade, now: datetime) -> Ticket:
        """Nothing to sign: the simulated venue needs no ticket."""
        return Ticket()

    def send(self, batch: Sequence[Prepared]) -> Sending:
        """Execute each at once: append its fill to the log (every call, duplicates too), in one write,
        fsync'd once."""
        fills = [self.decide_fill(prepared.command) for prepared in batch]
        self._append(fills)
        self.flush()
        return Sent([_outcome(fill) for fill in fills])

    def execute(self, command: ExecuteTrade) -> VenueFill:
        """Execute one command and log it."""
        fill = self.decide_fill(command)
        self._append([fill])
        return fill

    def _append(self, fills: Sequence[VenueFill]) -> None:
        lines = b"".join(
            orjson.dumps({"command_id": f.command_id, "result_code": f.result_code, "note": f.note}) + b"\n"
            for f in fills
        )
        if lines:
            os.write(self._fd, lines)
        if self.fsync_each:
            os.fsync(self._fd)
        else:
            self._unsynced = True
        for fill in fills:
            self._executed.setdefault(fill.command_id, fill)

    def recover(self, command: ExecuteTrade, ticket: Ticket) -> VenueOutcome:
        """What the log says of an interrupted command; never executes it again."""
        fill = self._executed.get(command.command_id)
        if fill is None:
            note = "interrupted mid-execution; the venue has no execution of it, and it is not retried"
            return VenueOutcome(TradeStatus.RECOVERED, ResultCode.RECOVERED_NOT_EXECUTED, note)
        if fill.filled:
            note = f"interrupted mid-execution; the venue had filled it: {fill.note}"
            return VenueOutcome(TradeStatus.RECOVERED, ResultCode.RECOVERED_FILLED, note)
        note = f"interrupted mid-execution; the venue had rejected it ({fill.result_code}): {fill.note}"
        return VenueOutcome(TradeStatus.RECOVERED, ResultCode.RECOVERED_NOT_EXECUTED, note)

    def flush(self) -> None:
        """fsync the log if anything was appended since the last fsync (`send` does, once per batch)."""
        if self._unsynced:
            os.fsync(self._fd)
            self._unsynced = False

    def execution_counts(self) -> Counter[str]:
        """How many times the log shows each command_id executed (read from disk)."""
        return Counter(fill.command_id for fill in read_execution_log(self.log_path))

    def close(self) -> None:
        """Release the log file."""
        if self._fd >= 0:
            self.flush()
            os.close(self._fd)
            self._fd = -1
