"""Settings: DORAN_* variables, secrets that never show, limits that must agree with each other, and one
line naming the variable the user set when a value is not allowed."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import SecretStr

from doran.cli import main
from doran.settings import InvalidSettings, Settings


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
    with pytest.raises(InvalidSettings) as refused:
        Settings(relay_answer_timeout_ms=200_000, max_poll_interval_ms=300_000)
    assert "DORAN_RELAY_ANSWER_TIMEOUT_MS" in str(refused.value)
    assert "DORAN_MAX_POLL_INTERVAL_MS" in str(refused.value)
    assert Settings(relay_answer_timeout_ms=150_000, max_poll_interval_ms=300_000).relay_answer_timeout_ms


def test_a_value_out_of_range_names_its_variable() -> None:
    with pytest.raises(InvalidSettings, match="DORAN_EXECUTOR_MAX_BATCH=0 is out of range"):
        Settings(executor_max_batch=0)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        (
            "DORAN_PRODUCER_LINGER_MS",
            "abc",
            "DORAN_PRODUCER_LINGER_MS='abc' is not a number (allowed: a number from 0 to 1000)",
        ),
        (
            "DORAN_PRODUCER_LINGER_MS",
            "-5",
            "DORAN_PRODUCER_LINGER_MS='-5' is out of range (allowed: a number from 0 to 1000)",
        ),
        (
            "DORAN_VENUE",
            "foo",
            "DORAN_VENUE='foo' is not one of the choices (allowed: near_intents or simulated)",
        ),
        (
            "DORAN_HEALTH_PORT",
            "70000",
            "DORAN_HEALTH_PORT='70000' is out of range (allowed: an integer from 1 to 65535, or unset)",
        ),
        (
            "DORAN_EXECUTOR_ALLOW_MISSING_STATE",
            "maybe",
            "DORAN_EXECUTOR_ALLOW_MISSING_STATE='maybe' is not true or false",
        ),
        # The seed contract's own name for the state directory, and its DORAN_ alias: whichever was set.
        ("EXECUTOR_STATE_DIR", "", "EXECUTOR_STATE_DIR='' is empty (allowed: a path)"),
        ("DORAN_EXECUTOR_STATE_DIR", "", "DORAN_EXECUTOR_STATE_DIR='' is empty (allowed: a path)"),
    ],
)
def test_an_invalid_variable_is_one_line_naming_the_variable_set_what_is_wrong_and_what_is_allowed(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(InvalidSettings) as refused:
        Settings()
    assert str(refused.value).startswith(message) and "\n" not in str(refused.value)


def test_a_long_bad_value_is_elided_so_the_reason_still_shows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DORAN_VENUE", "x" * 100_000)
    with pytest.raises(InvalidSettings) as refused:
        Settings()
    text = str(refused.value)
    assert len(text) < 300 and "characters left out" in text and text.endswith("near_intents or simulated)")


def test_a_refused_secret_is_named_never_shown() -> None:
    with pytest.raises(InvalidSettings) as refused:
        Settings(registry_password=["hunter2"])  # type: ignore[arg-type]
    assert "DORAN_REGISTRY_PASSWORD" in str(refused.value) and "hunter2" not in str(refused.value)


def test_doran_settings_lists_every_variable_with_its_default() -> None:
    listed = CliRunner().invoke(main, ["settings", "--markdown"])
    assert listed.exit_code == 0, listed.output
    rows = {line.split("|")[1].strip(" `"): line for line in listed.output.splitlines()[2:]}
    assert len(rows) == len(Settings.model_fields)
    assert "`near_intents`" in rows["DORAN_VENUE"]
    assert "EXECUTOR_STATE_DIR" in rows  # the seed's own name, not DORAN_-prefixed


def test_doran_settings_prints_the_values_in_effect_with_secrets_masked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DORAN_VENUE", "simulated")
    monkeypatch.setenv("DORAN_REGISTRY_USERNAME", "publisher")
    monkeypatch.setenv("DORAN_REGISTRY_PASSWORD", "hunter2")
    monkeypatch.setenv("EXECUTOR_STATE_DIR", "/var/lib/unrip/executor-state")
    listed = CliRunner().invoke(main, ["settings"])
    assert listed.exit_code == 0, listed.output
    values = dict(line.split("=", 1) for line in listed.output.splitlines() if not line.startswith(" "))
    assert len(values) == len(Settings.model_fields)
    assert values["DORAN_VENUE"] == "simulated  (default: near_intents)"
    assert values["DORAN_REGISTRY_USERNAME"].startswith("publisher")
    assert values["DORAN_REGISTRY_PASSWORD"].startswith("********") and "hunter2" not in listed.output
    assert values["EXECUTOR_STATE_DIR"].startswith("/var/lib/unrip/executor-state")


def test_doran_settings_refuses_an_invalid_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DORAN_PRODUCER_LINGER_MS", "abc")
    listed = CliRunner().invoke(main, ["settings"])
    assert listed.exit_code == 2 and "DORAN_PRODUCER_LINGER_MS" in listed.output


def test_the_registry_credentials_are_settings() -> None:
    from doran.publish.credentials import registry_credentials

    settings = Settings(registry_username="publisher", registry_password=SecretStr("hunter2"))
    credentials = registry_credentials(settings)
    assert credentials is not None and credentials.username == "publisher"
    assert credentials.password is not None and credentials.password.get_secret_value() == "hunter2"
    assert registry_credentials(Settings()) is None


def test_produce_versions_are_json_and_a_bad_one_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().produce_versions == {}
    monkeypatch.setenv("DORAN_PRODUCE_VERSIONS", '{"norm.swap_demand": 1}')
    assert Settings().produce_versions == {"norm.swap_demand": 1}
    monkeypatch.setenv("DORAN_PRODUCE_VERSIONS", "norm.swap_demand=1")
    with pytest.raises(InvalidSettings, match=r"DORAN_PRODUCE_VERSIONS='norm.swap_demand=1' is not JSON"):
        Settings()


def test_a_stage_pinned_to_a_version_it_cannot_write_stops_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DORAN_PRODUCE_VERSIONS", '{"norm.swap_demand": 2}')
    stopped = CliRunner().invoke(main, ["stage", "normalize"])
    assert stopped.exit_code == 2
    assert "norm.swap_demand has no version 2 to write; it has 1" in stopped.output
