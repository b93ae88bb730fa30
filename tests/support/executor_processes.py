"""Executor replicas as real `doran stage execute` processes (`doran.devkit.stage_processes`) on the NEAR
Intents venue, pointed at a relay simulator and an embedded broker: each with its own replica name,
state directory and log, killed and restarted by name."""

from __future__ import annotations

import os
import signal
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from doran.devkit.embedded_broker import EMBEDDED_BROKER_SETTINGS, settings_environment
from doran.devkit.stage_processes import StageProcess, StageProcesses
from support.registry import published_registry
from support.solver import near_settings

__all__ = ["ExecutorReplicas"]


class ExecutorReplicas:
    """Start, kill and restart named replicas of one executor group; all stopped with `stop_all`."""

    def __init__(
        self, broker: str, relay_url: str, root: Path, group_prefix: str, environment: Mapping[str, str] = {}
    ) -> None:
        solver = near_settings()
        self._root = root
        self._processes = StageProcesses(
            {
                **os.environ,
                **settings_environment(EMBEDDED_BROKER_SETTINGS),
                "DORAN_BROKER_ADDRESS": broker,
                "DORAN_REGISTRY_URL": published_registry(),
                "DORAN_CONSUMER_GROUP_PREFIX": group_prefix,
                "DORAN_VENUE": "near_intents",
                "DORAN_RELAY_URL": relay_url,
                "DORAN_NEAR_ACCOUNT_ID": solver["near_account_id"],
                "DORAN_NEAR_SIGNING_KEY": solver["near_signing_key"].get_secret_value(),
                "DORAN_NEAR_NONCE_SALT": solver["near_nonce_salt"],
                "DORAN_STATISTICS_INTERVAL_MS": "200",
                **environment,
            },
            root / "logs",
        )

    def start(self, name: str) -> None:
        """Start replica `name` (again, after a kill: same name, same state directory)."""
        own = {
            "DORAN_REPLICA": name,
            "EXECUTOR_STATE_DIR": str(self.state_dir(name)),
            "DORAN_QUIX_STATE_DIR": str(self._root / name / "quix"),
        }
        self._processes.start(name, "execute", own)

    def kill(self, name: str) -> None:
        """SIGKILL replica `name` and wait for it to be gone."""
        process = self._running(name)
        process.send_signal(signal.SIGKILL)
        assert process.wait(30) == -signal.SIGKILL

    def stop(self, name: str) -> int:
        """SIGTERM replica `name`; its exit code."""
        process = self._running(name)
        self._processes.stop(name)
        return int(process.returncode)

    def state_dir(self, name: str) -> Path:
        return self._root / name / "executor-state"

    def exited(self) -> list[str]:
        """Replicas that exited (killed ones are restarted at once)."""
        return self._processes.exited()

    def counts(self, name: str) -> dict[str, Any]:
        return self._processes.started[name].counts()

    def process(self, name: str) -> StageProcess:
        """Replica `name`'s process: its /readyz (`ready()`, `status(path)`), whether it exited."""
        return self._processes.started[name]

    def log(self, name: str) -> str:
        return self._processes.started[name].log_path.read_text(errors="replace")

    def stop_all(self) -> None:
        for name in self._processes.started:
            process = self._processes.started[name].process
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.wait(30)

    def _running(self, name: str) -> Any:
        stage = self._processes.started[name]
        assert not stage.exited, f"{name} is not running:\n{self.log(name)[-3000:]}"
        return stage.process
