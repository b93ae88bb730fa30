"""A stage's own loop stops on SIGTERM/SIGINT (what Kubernetes and Ctrl+C send): the signal sets an event
the loop checks, so the work in hand is finished, flushed and committed before the process exits; a second
signal acts as usual. Quix Streams apps install their own handlers (`Application.run`)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from doran.stages.lifecycle import Lifecycle

__all__ = ["stop_on_signals"]


@contextmanager
def stop_on_signals(stop: threading.Event, lifecycle: Lifecycle) -> Iterator[None]:
    """While the block runs, SIGTERM/SIGINT log `stopping` and set `stop`. Only the main thread can take
    signals: elsewhere (a test's thread) this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        lifecycle.log("stopping", reason=signal.Signals(signum).name)
        stop.set()
        signal.signal(signum, previous[signal.Signals(signum)])

    for sig in previous:
        signal.signal(sig, request_stop)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
