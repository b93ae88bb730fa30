"""Errors of the relay simulator.

RelayError (doran.relay.errors)
 └── SimulatorError
      ├── SimulatorNotRunning   used outside its context manager (no server, no event loop)
      └── WaitTimeout           a condition waited on did not hold in time (also a TimeoutError)
"""

from __future__ import annotations

from doran.relay.errors import RelayError

__all__ = ["SimulatorError", "SimulatorNotRunning", "WaitTimeout"]


class SimulatorError(RelayError):
    """Root of every relay simulator failure."""


class SimulatorNotRunning(SimulatorError):
    """The simulator is not serving: enter it (`async with` / `with SimulatorThread(...)`) first."""


class WaitTimeout(SimulatorError, TimeoutError):
    """A condition waited on did not become true before the deadline."""
