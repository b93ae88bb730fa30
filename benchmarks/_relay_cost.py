"""What the relay simulator itself spends on one quote_response, to read the latency figures with.

The simulator stamps a response's receipt first thing when it takes the frame off the socket, then
judges it (schema, auction, token_diff, NEP-413 signature, key, salt, nonce) on its event loop before
it takes the next one: a burst of B responses is stamped up to B x this late, on top of doran's own
time. Timed here the same way: responses signed by the executor's own venue code for commands made by
the stages' cores, judged against open auctions, best of a few repeats (each on a fresh auction book,
so that no nonce is seen twice).
"""

from __future__ import annotations

import gc
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from benchmarks._inputs import build_inputs
from doran.contracts import CMD_EXECUTE_TRADE, ExecuteTradeEvent
from doran.devkit.demo.solver_identity import DemoSolver
from doran.devkit.relay_simulator import AuctionBook, ContractState, judge_response, system_clock
from doran.venues import NearIntentsVenue, QuoteSigner
from doran.wire import decode

__all__ = ["judge_us_per_response"]

_REPEATS = 3


class _NoSession:
    """The venue signs without a relay; nothing is sent here."""

    def send_many(self, requests: object, timeout_s: float) -> Any:
        raise AssertionError("the relay cost calibration sends nothing")


def judge_us_per_response(recording: Path, n: int = 500) -> float:
    """µs the simulator takes to judge one signed quote_response (best of a few repeats)."""
    inputs = build_inputs(recording, n)
    solver = DemoSolver.generate("doran-bench.near")
    venue = NearIntentsVenue(_NoSession(), QuoteSigner(solver.account_id, solver.key, solver.salt))
    now = datetime.now(UTC)
    commands = [decode(CMD_EXECUTE_TRADE, record.value) for record in inputs.commands]
    params = [
        venue.prepare(command.payload, now).request["params"]  # type: ignore[index]
        for command in commands
        if isinstance(command, ExecuteTradeEvent)
    ]
    contract = ContractState({solver.account_id: {solver.key.public_key}}, {solver.salt})
    quotes = [orjson.loads(frame)["params"]["data"] for frame in inputs.frames]
    best = float("inf")
    for _ in range(_REPEATS):
        book = AuctionBook()
        for quote in quotes:
            book.open(quote, system_clock())
        gc.collect()
        started = time.perf_counter()
        for response in params:
            judge_response(response, book=book, at=system_clock(), contract=contract)
        best = min(best, time.perf_counter() - started)
    return best / len(params) * 1e6
