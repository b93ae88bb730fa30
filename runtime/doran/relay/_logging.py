"""Loggers handed to websockets, which logs handshake headers at DEBUG: they blank Authorization values."""

from __future__ import annotations

import logging

__all__ = ["redacting_logger"]


class _RedactAuthorization(logging.Filter):
    """Replace the value of an `Authorization` header record before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 2 and str(args[0]).lower() == "authorization":
            record.args = (args[0], "[redacted]")
        return True


def redacting_logger(name: str) -> logging.Logger:
    """The logger `name` with the Authorization redaction attached (once).

    Records are created on the logger handed to websockets, so its filters see every one of them.
    """
    logger = logging.getLogger(name)
    if not any(isinstance(existing, _RedactAuthorization) for existing in logger.filters):
        logger.addFilter(_RedactAuthorization())
    return logger
