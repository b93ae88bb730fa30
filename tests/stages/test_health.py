"""The probes over real HTTP: /readyz says what is missing, /healthz whether the loop is alive."""

from __future__ import annotations

import urllib.error
import urllib.request

from doran.stages.health import HealthServer
from doran.stages.lifecycle import Lifecycle
from doran.stages.metrics import StageMetrics
from doran.stages.readiness import Readiness


def _get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read().decode()


def test_readyz_names_what_is_missing_and_healthz_answers_on_its_own() -> None:
    readiness = Readiness(Lifecycle("ingest"), ("relay", "producer"))
    alive = [True]
    metrics = StageMetrics("ingest")
    with HealthServer(
        0, registry=metrics.registry, live=lambda: alive[0], ready=readiness.probe, host="127.0.0.1"
    ) as server:
        assert _get(server.port, "/readyz") == (503, "not ready: relay, producer\n")
        assert _get(server.port, "/healthz") == (200, "ok\n")
        readiness.set("relay", True)
        readiness.set("producer", True)
        assert _get(server.port, "/readyz") == (200, "ready\n")
        alive[0] = False
        assert _get(server.port, "/healthz") == (503, "not ok\n")
        assert _get(server.port, "/nothing")[0] == 404
