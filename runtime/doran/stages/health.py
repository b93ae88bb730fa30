"""The stage's HTTP endpoint for k3s and Prometheus: /healthz (alive), /readyz (doing its job), /metrics.

What alive and ready mean is the stage's to say (callables): alive is "my loop ran recently", ready is
"I can do my job now" (`doran.stages.readiness`). A check may return a bool or (bool, why): the why is
the body, so `curl /readyz` names what is missing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import CollectorRegistry

__all__ = ["Check", "HealthServer"]

#: A probe's check: whether it passes, or whether and why.
Check = Callable[[], bool | tuple[bool, str]]


def _answer(check: Check) -> tuple[bytes, int]:
    result = check()
    ok, why = result if isinstance(result, tuple) else (result, "ok" if result else "not ok")
    return f"{why}\n".encode(), 200 if ok else 503


class HealthServer:
    """Serves /healthz (200 while `live()` passes), /readyz (200 while `ready()` does) and /metrics;
    else 503 (with the check's why) or 404."""

    def __init__(
        self,
        port: int,
        *,
        registry: CollectorRegistry,
        live: Check,
        ready: Check,
        host: str = "0.0.0.0",
    ) -> None:
        checks = {"/healthz": live, "/readyz": ready}

        class _Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/metrics":
                    body, status, kind = generate_latest(registry), 200, CONTENT_TYPE_LATEST
                elif self.path in checks:
                    body, status = _answer(checks[self.path])
                    kind = "text/plain"
                else:
                    body, status, kind = b"not found\n", 404, "text/plain"
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer((host, port), _Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="health", daemon=True)

    @property
    def port(self) -> int:
        """The port it listens on (useful when started on port 0)."""
        return int(self._server.server_address[1])

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
