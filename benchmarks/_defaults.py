"""What "the defaults a user gets" means for every process the bench starts.

A user of the embedded broker runs with Settings' defaults plus EMBEDDED_BROKER_SETTINGS (what
`doran demo` and the tests set for tansu), both imported here, never copied, so the bench follows
them as they change. The bench's children get the bench's environment without any DORAN_* variable
(nor EXECUTOR_STATE_DIR): a setting exported in the shell that runs `make bench` must not turn the
headline figures into a what-if. What-ifs are asked for explicitly (`--what-if`) and labelled.
"""

from __future__ import annotations

import os
from typing import Any

from doran.devkit.embedded_broker import EMBEDDED_BROKER_SETTINGS, stage_environment
from doran.settings import Settings

__all__ = ["ignored_environment", "stage_environment", "user_defaults"]

_PREFIX = "DORAN_"
_UNPREFIXED = ("EXECUTOR_STATE_DIR",)  # the executor's state directory keeps its seed-contract name
# Left out of the report: secrets whatever their value, and what the bench sets for each run (where
# the broker, the relay and the state are, the run's consumer groups and health ports, the solver).
_NOT_REPORTED = {
    "relay_api_key",
    "near_signing_key",
    "broker_address",
    "registry_url",
    "registry_username",
    "registry_password",
    "relay_url",
    "relay_rpc_url",
    "consumer_group_prefix",
    "executor_state_dir",
    "quix_state_dir",
    "health_port",
    "near_account_id",
    "near_nonce_salt",
}


def _is_setting(name: str) -> bool:
    # DORAN_BENCH_* are the bench's own options (pipeline.py), read by the bench, not a setting.
    return (name.startswith(_PREFIX) and not name.startswith("DORAN_BENCH_")) or name in _UNPREFIXED


def ignored_environment() -> list[str]:
    """Names of the settings variables in this environment that the bench's children will not see."""
    return sorted(name for name in os.environ if _is_setting(name))


def user_defaults() -> dict[str, Any]:
    """The settings the stages run with on the embedded broker, as JSON values (bar those set per run).

    Built without reading the environment (model_construct takes the fields' defaults), so it shows
    what the stages get from `stage_environment()`, not what this shell exports."""
    fields: dict[str, Any] = dict(EMBEDDED_BROKER_SETTINGS)
    settings = Settings.model_construct(**fields)
    return settings.model_dump(mode="json", exclude=_NOT_REPORTED)
