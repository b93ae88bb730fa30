"""Settings: DORAN_* variables, secrets that never show, and limits that must agree with each other."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from doran.settings import Settings


def test_values_come_from_doran_variables_and_the_seed_state_dir_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DORAN_EXECUTOR_MAX_BATCH", "64")
    monkeypatch.setenv("EXECUTOR_STATE_DIR", "/var/lib/unrip/executor-state")
    settings = Settings()
    assert (settings.executor_max_batch, settings.executor_state_dir) == (
        64,
        Path("/var/lib/unrip/executor-state"),
    )


def test_secrets_never_show(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DORAN_NEAR_SIGNING_KEY", "ed25519:not-a-real-key-but-secret")
    monkeypatch.setenv("DORAN_RELAY_API_KEY", "relay-token-secret")
    settings = Settings()
    for shown in (repr(settings), str(settings), settings.model_dump_json()):
        assert "not-a-real-key" not in shown and "relay-token-secret" not in shown


def test_an_answer_timeout_the_poll_interval_cannot_hold_is_refused_naming_both() -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(relay_answer_timeout_ms=200_000, max_poll_interval_ms=300_000)
    assert "DORAN_RELAY_ANSWER_TIMEOUT_MS" in str(refused.value)
    assert "DORAN_MAX_POLL_INTERVAL_MS" in str(refused.value)
    assert Settings(relay_answer_timeout_ms=150_000, max_poll_interval_ms=300_000).relay_answer_timeout_ms


def test_a_value_out_of_range_names_its_field() -> None:
    with pytest.raises(ValidationError, match="executor_max_batch"):
        Settings(executor_max_batch=0)


def test_doran_settings_lists_every_variable_with_its_default() -> None:
    from click.testing import CliRunner

    from doran.cli import main

    listed = CliRunner().invoke(main, ["settings", "--markdown"])
    assert listed.exit_code == 0, listed.output
    rows = {line.split("|")[1].strip(" `"): line for line in listed.output.splitlines()[2:]}
    assert len(rows) == len(Settings.model_fields)
    assert "`near_intents`" in rows["DORAN_VENUE"]
    assert "EXECUTOR_STATE_DIR" in rows  # the seed's own name, not DORAN_-prefixed
