"""The executor's venue as the settings configure it, with its keys and addresses checked at start.

Every problem names the setting to fix; a secret key's text never appears in an error or a log.
"""

from __future__ import annotations

import re
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

from doran.errors import DoranError
from doran.executor import Venue
from doran.nep413 import Nep413Error, SigningKey, parse_salt
from doran.nep413.intent import is_account_id
from doran.relay import RelaySession
from doran.settings import Settings
from doran.venues.near_intents import NearIntentsVenue, QuoteSigner
from doran.venues.simulated import EXECUTION_LOG_NAME, SimulatedVenue

__all__ = ["VenueConfigError", "quote_signer_from", "simulated_venue_log", "venue_from_settings"]

_SALT = re.compile(r"^[0-9a-fA-F]{8}$")


class VenueConfigError(DoranError):
    """The venue cannot start: a setting is missing or malformed (the message names it)."""


def quote_signer_from(settings: Settings) -> QuoteSigner:
    """The solver's signing identity from DORAN_NEAR_*; VenueConfigError naming the setting at fault."""
    missing = [
        name
        for name, value in (
            ("DORAN_NEAR_ACCOUNT_ID", settings.near_account_id),
            ("DORAN_NEAR_SIGNING_KEY", settings.near_signing_key),
            ("DORAN_NEAR_NONCE_SALT", settings.near_nonce_salt),
        )
        if not value
    ]
    if missing:
        raise VenueConfigError(
            f"The NEAR Intents venue needs {', '.join(missing)} "
            "(docs/operations.md: registering the solver); "
            "or set DORAN_VENUE=simulated."
        )
    assert settings.near_account_id and settings.near_signing_key and settings.near_nonce_salt
    if not is_account_id(settings.near_account_id):
        raise VenueConfigError(
            f"DORAN_NEAR_ACCOUNT_ID {settings.near_account_id!r} is not a NEAR account id."
        )
    try:
        key = SigningKey.from_secret(settings.near_signing_key)
    except Nep413Error as exc:
        # The nep413 errors never quote the key; say which setting is wrong.
        raise VenueConfigError(f"DORAN_NEAR_SIGNING_KEY is not a usable NEAR secret key: {exc}") from None
    if not _SALT.fullmatch(settings.near_nonce_salt):
        raise VenueConfigError(
            "DORAN_NEAR_NONCE_SALT must be 8 hex digits (intents.near current_salt), "
            f"got {settings.near_nonce_salt!r}."
        )
    if not is_account_id(settings.near_intents_contract):
        raise VenueConfigError(
            f"DORAN_NEAR_INTENTS_CONTRACT {settings.near_intents_contract!r} is not an account id."
        )
    return QuoteSigner(
        account_id=settings.near_account_id,
        key=key,
        salt=parse_salt(settings.near_nonce_salt),
        recipient=settings.near_intents_contract,
        deadline_margin=timedelta(milliseconds=settings.quote_deadline_margin_ms),
    )


def simulated_venue_log(settings: Settings) -> Path:
    """The simulated venue's execution log: `<executor_state_dir>/../simulated-venue/simulated-venue.jsonl`.

    Outside the state directory on purpose: the venue is not the executor's state. Losing that
    directory (the case `check_startup` guards) must not also erase the record of what was executed.
    """
    return settings.executor_state_dir.parent / "simulated-venue" / EXECUTION_LOG_NAME


def venue_from_settings(settings: Settings, stack: ExitStack) -> Venue:
    """The configured venue, connected (a relay session) and closed with `stack`."""
    if settings.venue == "simulated":
        simulated = SimulatedVenue(simulated_venue_log(settings))
        stack.callback(simulated.close)
        return simulated
    signer = quote_signer_from(settings)
    session = stack.enter_context(
        RelaySession(
            settings.relay_url, api_key=settings.relay_api_key, max_frame_bytes=settings.relay_max_frame_bytes
        )
    )
    return NearIntentsVenue(session, signer, answer_timeout_s=settings.relay_answer_timeout_ms / 1000)
