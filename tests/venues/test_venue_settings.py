"""venue_from_settings and quote_signer_from: every problem names the setting to fix, never the key."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from support.solver import ACCOUNT, KEY, near_settings

from doran.nep413 import parse_salt
from doran.settings import Settings
from doran.venues import SimulatedVenue, VenueConfigError, quote_signer_from, venue_from_settings

SECRET = near_settings()["near_signing_key"].get_secret_value()


def settings(**overrides: Any) -> Settings:
    return Settings(**{**near_settings(), **overrides})


def test_a_complete_identity_makes_the_signer() -> None:
    signer = quote_signer_from(settings(quote_deadline_margin_ms=2_500))
    assert (signer.account_id, signer.key.public_key, signer.salt) == (
        ACCOUNT,
        KEY.public_key,
        parse_salt("252812b3"),
    )
    assert signer.recipient == "intents.near" and signer.deadline_margin.total_seconds() == 2.5


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"near_account_id": None, "near_nonce_salt": None}, "DORAN_NEAR_ACCOUNT_ID, DORAN_NEAR_NONCE_SALT"),
        ({"near_signing_key": None}, "DORAN_NEAR_SIGNING_KEY"),
        ({"near_account_id": "Not An Account"}, "DORAN_NEAR_ACCOUNT_ID"),
        ({"near_signing_key": SecretStr(SECRET[:-3])}, "DORAN_NEAR_SIGNING_KEY"),
        ({"near_signing_key": SecretStr(SECRET.replace("ed25519:", "secp256k1:"))}, "DORAN_NEAR_SIGNING_KEY"),
        ({"near_nonce_salt": "25281"}, "DORAN_NEAR_NONCE_SALT"),
        ({"near_intents_contract": "-bad-"}, "DORAN_NEAR_INTENTS_CONTRACT"),
    ],
    ids=["missing", "no-key", "bad-account", "truncated-key", "wrong-curve", "short-salt", "bad-contract"],
)
def test_each_problem_names_its_setting_and_never_the_key(overrides: dict[str, Any], named: str) -> None:
    with pytest.raises(VenueConfigError) as refused:
        quote_signer_from(settings(**overrides))
    message = str(refused.value)
    assert named in message
    body = SECRET.removeprefix("ed25519:")
    assert not any(body[i : i + 12] in message for i in range(0, len(body) - 12))
    assert refused.value.__cause__ is None  # nothing chained that could carry the key


def test_the_simulated_venue_needs_no_identity(tmp_path: Path) -> None:
    plain = Settings(venue="simulated", executor_state_dir=tmp_path / "state")
    with ExitStack() as stack:
        venue = venue_from_settings(plain, stack)
        assert isinstance(venue, SimulatedVenue)
        assert venue.log_path == tmp_path / "simulated-venue" / "simulated-venue.jsonl"


def test_the_near_venue_checks_its_identity_before_connecting() -> None:
    with ExitStack() as stack, pytest.raises(VenueConfigError, match="DORAN_NEAR_SIGNING_KEY"):
        venue_from_settings(settings(near_signing_key=None, relay_url="ws://127.0.0.1:9/ws"), stack)
