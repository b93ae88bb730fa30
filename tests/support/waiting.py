"""Waiting on a condition in a test: polled, bounded, failing with what was awaited."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["stage_in_thread", "wait_until"]


def wait_until(condition: Callable[[], object], what: str, timeout_s: float = 60) -> None:
    """Poll `condition` every 50 ms until it is true; fail naming `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}")
        time.sleep(0.05)


@contextmanager
def stage_in_thread(name: str, run: Callable[[threading.Event], None]) -> Iterator[None]:
    """`run(stop)` in a thread for the block; then `stop` is set, the thread must end within 60 s,
    and what `run` raised is raised here."""
    stop = threading.Event()
    failure: list[BaseException] = []

    def target() -> None:
        try:
            run(stop)
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=target, name=name)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(60)
        assert not thread.is_alive(), f"{name} did not stop within 60 s of its stop event"
    if failure:
        raise failure[0]
