"""Liveness and readiness over HTTP for the k3s probes: /healthz (process alive), /readyz (consuming)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["HealthServer"]


class HealthServer:
    """Serves 200 on /healthz while the process runs and on /readyz once `ready` is set, else 503."""

    def __init__(self, port: int, host: str = "0.0.0.0") -> None:
        self.ready = threading.Event()
        ready = self.ready

        class _Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                ok = self.path == "/healthz" or (self.path == "/readyz" and ready.is_set())
                known = self.path in ("/healthz", "/readyz")
                self.send_response(200 if ok else 503 if known else 404)
                self.end_headers()
                self.wfile.write(b"ok\n" if ok else b"not ready\n")

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer((host, port), _Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="health", daemon=True)

    def __enter__(self) -> HealthServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
