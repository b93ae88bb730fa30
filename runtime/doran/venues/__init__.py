"""The venues the executor trades on, behind `doran.executor.Venue`.

- `NearIntentsVenue`: NEP-413 signed quote_responses over the NEAR Intents solver relay
- `SimulatedVenue`: a deterministic venue that fills or rejects at once (tests, runs without a relay)
- `venue_from_settings(settings)`: the configured one, its keys checked at start
"""

from doran.venues.near_intents import AUCTION_CLOSED_ERROR, NearIntentsVenue, QuoteSigner, RequestSession
from doran.venues.settings import (
    VenueConfigError,
    quote_signer_from,
    simulated_venue_log,
    venue_from_settings,
)
from doran.venues.simulated import EXECUTION_LOG_NAME, SimulatedVenue, VenueFill, read_execution_log

__all__ = [
    "AUCTION_CLOSED_ERROR",
    "EXECUTION_LOG_NAME",
    "NearIntentsVenue",
    "QuoteSigner",
    "RequestSession",
    "SimulatedVenue",
    "VenueConfigError",
    "VenueFill",
    "quote_signer_from",
    "read_execution_log",
    "simulated_venue_log",
    "venue_from_settings",
]
