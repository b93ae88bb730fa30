"""The demo's broadcast: a recording of relay frames sent by the relay simulator to its subscribers,
paced, as the live relay would send them.

A quote event opens an auction at the simulator (its requests then meet the simulator's verdicts);
every other recorded frame, malformed ones included, goes out as recorded, for ingest to classify
or dead-letter. Subscription acknowledgements are the simulator's own business and are skipped.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from doran.devkit.relay_simulator import Pacer, SimulatorThread
from doran.relay import Notification, ResultAnswer, parse_frame

__all__ = ["Broadcast", "broadcast", "plan_broadcast"]


@dataclass(frozen=True, slots=True)
class Broadcast:
    """What the simulator sends, in recorded order: ("quote", data) or ("raw", frame text)."""

    items: tuple[tuple[str, Any], ...]

    @property
    def quotes(self) -> int:
        return sum(kind == "quote" for kind, _ in self.items)


def plan_broadcast(lines: Sequence[bytes], *, min_deadline_ms: int | None) -> Broadcast:
    """The recording as sends. `min_deadline_ms` replaces the quotes' own (the demo shortens them so
    that unfilled quotes expire within the run)."""
    items: list[tuple[str, Any]] = []
    for line in lines:
        frame = parse_frame(line)
        if isinstance(frame, ResultAnswer):
            continue  # the recorded subscription ack: the simulator acknowledges its own
        data = frame.data if isinstance(frame, Notification) else None
        if isinstance(data, dict) and "quote_id" in data:
            if min_deadline_ms is not None:
                data = data | {"min_deadline_ms": min_deadline_ms}
            items.append(("quote", data))
        else:
            items.append(("raw", line.decode("utf-8", errors="replace")))
    return Broadcast(tuple(items))


def broadcast(
    relay: SimulatorThread,
    plan: Broadcast,
    rate_per_s: float,
    *,
    should_stop: Callable[[], bool] = lambda: False,
) -> int:
    """Send the plan at `rate_per_s` frames per second; how many were sent."""
    pacer = Pacer(time.monotonic(), rate_per_s)
    for n, (kind, item) in enumerate(plan.items):
        if should_stop():
            return n
        time.sleep(pacer.wait_s(n, time.monotonic()))
        if kind == "quote":
            relay.publish_quote(item)
        else:
            relay.send_raw(item)
    return len(plan.items)
