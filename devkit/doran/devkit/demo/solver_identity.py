"""The demo solver's identity: a key generated for one run and registered with the simulated intents.near.

A real solver's key comes from DORAN_NEAR_SIGNING_KEY (docs/operations.md); the demo makes a throwaway
one, so that a demo run never needs, and never touches, a real key.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from doran.devkit.relay_simulator import SimulatorThread
from doran.nep413 import SigningKey
from doran.nep413.base58 import b58encode

__all__ = ["DemoSolver"]


@dataclass(frozen=True, slots=True, repr=False)
class DemoSolver:
    """An account, a fresh ed25519 key and a nonce salt, known only to this run."""

    account_id: str
    seed: bytes
    salt: bytes

    @classmethod
    def generate(cls, account_id: str = "doran-demo.near") -> DemoSolver:
        return cls(account_id, os.urandom(32), os.urandom(4))

    @property
    def key(self) -> SigningKey:
        return SigningKey.from_seed(self.seed)

    def register(self, relay: SimulatorThread) -> None:
        """Register the public key and the salt, as `add_public_key` and the contract's salt would be."""
        relay.register_solver(self.account_id, self.key.public_key)
        relay.add_salt(self.salt)

    def environment(self) -> dict[str, str]:
        """The DORAN_NEAR_* variables of the executor process."""
        return {
            "DORAN_VENUE": "near_intents",
            "DORAN_NEAR_ACCOUNT_ID": self.account_id,
            "DORAN_NEAR_SIGNING_KEY": "ed25519:" + b58encode(self.seed + self.key.public_key.raw),
            "DORAN_NEAR_NONCE_SALT": self.salt.hex(),
        }

    def __repr__(self) -> str:
        return f"DemoSolver(account_id={self.account_id!r}, public_key={str(self.key.public_key)!r})"
