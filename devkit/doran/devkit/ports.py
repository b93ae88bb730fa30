"""A free TCP port on the loopback interface, for the servers the tests, the demo and the benchmarks start."""

from __future__ import annotations

import socket

__all__ = ["free_port"]


def free_port() -> int:
    """A port the kernel says is unused now. Another process may take it before it is bound: a
    server started on it retries on a new one when it finds the port taken."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
