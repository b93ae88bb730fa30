"""Executor replicas as real `doran stage execute` processes on the NEAR Intents venue, pointed at a relay
simulator and an embedded broker; each with its own replica name, state directory, log and health port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from doran.broker import EMBEDDED_BROKER_SETTINGS, settings_environment
from doran.stages.metrics import parse_counts
from support.solver import near_settings

__all__ = ["ExecutorReplicas", "free_port"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class _Replica:
    name: str
    state_dir: Path
    log: Path
    port: int
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0


@dataclass
class ExecutorReplicas:
    """Start, kill and restart named replicas of one executor group."""

    broker: str
    relay_url: str
    root: Path
    group_prefix: str
    environment: Mapping[str, str] = field(default_factory=dict)
    _replicas: dict[str, _Replica] = field(default_factory=dict)

    def start(self, name: str) -> None:
        """Start replica `name` (again, after a kill: same name, same state directory)."""
        replica = self._replicas.get(name)
        if replica is None:
            replica = _Replica(
                name, self.root / name / "executor-state", self.root / name / "executor.log", free_port()
            )
            replica.log.parent.mkdir(parents=True, exist_ok=True)
            self._replicas[name] = replica
        assert replica.process is None or replica.process.poll() is not None, f"{name} is running"
        solver = near_settings()
        env = {
            **os.environ,
            **settings_environment(EMBEDDED_BROKER_SETTINGS),
            "DORAN_BROKER_ADDRESS": self.broker,
            "DORAN_REPLICA": name,
            "EXECUTOR_STATE_DIR": str(replica.state_dir),
            "DORAN_QUIX_STATE_DIR": str(self.root / name / "quix"),
            "DORAN_CONSUMER_GROUP_PREFIX": self.group_prefix,
            "DORAN_VENUE": "near_intents",
            "DORAN_RELAY_URL": self.relay_url,
            "DORAN_NEAR_ACCOUNT_ID": solver["near_account_id"],
            "DORAN_NEAR_SIGNING_KEY": solver["near_signing_key"].get_secret_value(),
            "DORAN_NEAR_NONCE_SALT": solver["near_nonce_salt"],
            "DORAN_HEALTH_PORT": str(replica.port),
            "DORAN_STATISTICS_INTERVAL_MS": "200",
            **self.environment,
        }
        with replica.log.open("ab") as log:
            replica.process = subprocess.Popen(
                [sys.executable, "-m", "doran.cli", "stage", "execute"], env=env, stdout=log, stderr=log
            )
        replica.starts += 1

    def kill(self, name: str) -> None:
        """SIGKILL replica `name` and wait for it to be gone."""
        process = self._process(name)
        process.send_signal(signal.SIGKILL)
        assert process.wait(30) == -signal.SIGKILL

    def stop(self, name: str) -> int:
        """SIGTERM replica `name`; its exit code."""
        process = self._process(name)
        process.send_signal(signal.SIGTERM)
        return process.wait(60)

    def state_dir(self, name: str) -> Path:
        return self._replicas[name].state_dir

    def alive(self, name: str) -> bool:
        process = self._replicas[name].process
        return process is not None and process.poll() is None

    def exited(self) -> list[str]:
        """Replicas that exited without being told to (their logs say why)."""
        return [
            r.name for r in self._replicas.values() if r.process is not None and r.process.poll() is not None
        ]

    def ready(self, name: str) -> bool:
        return self._get(name, "/readyz") == 200

    def counts(self, name: str) -> dict[str, Any]:
        replica = self._replicas[name]
        with urllib.request.urlopen(f"http://127.0.0.1:{replica.port}/metrics", timeout=5) as response:
            return parse_counts(response.read().decode())

    def log(self, name: str) -> str:
        return self._replicas[name].log.read_text(errors="replace")

    def stop_all(self) -> None:
        for replica in self._replicas.values():
            if replica.process is not None and replica.process.poll() is None:
                replica.process.send_signal(signal.SIGKILL)
                replica.process.wait(30)

    def _process(self, name: str) -> subprocess.Popen[bytes]:
        process = self._replicas[name].process
        assert process is not None and process.poll() is None, (
            f"{name} is not running:\n{self.log(name)[-3000:]}"
        )
        return process

    def _get(self, name: str, path: str) -> int:
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{self._replicas[name].port}{path}", timeout=2
            ) as r:
                return int(r.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)
        except OSError:
            return 0
