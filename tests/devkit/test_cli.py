"""The development kit's commands as a user runs them: processes that stop cleanly, clean errors."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest


def _port_accepts(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.integration
def test_doran_broker_stopped_with_sigterm_stops_its_broker(tmp_path: Path) -> None:
    with subprocess.Popen(
        [sys.executable, "-m", "doran.cli", "broker"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as process:
        try:
            assert process.stdout is not None
            first = process.stdout.readline()
            assert first.startswith("DORAN_BROKER_ADDRESS=127.0.0.1:"), first
            port = int(first.strip().rsplit(":", 1)[1])
            assert _port_accepts(port)
            process.send_signal(signal.SIGTERM)
            assert process.wait(30) != 0  # stopped by the signal, not finished
        finally:
            if process.poll() is None:
                process.kill()
    deadline = time.monotonic() + 10
    while _port_accepts(port) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _port_accepts(port), "tansu still holds the port after `doran broker` was stopped"


def test_doran_demo_outside_the_checkout_says_what_is_missing_and_creates_nothing(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "doran.cli", "demo"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert "samples/relay-quotes.jsonl" in result.stderr and "does not exist" in result.stderr
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []
