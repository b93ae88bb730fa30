"""`doran dlq replay` refuses unusable options and brokers with exit code 2 and a message naming the cause."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from doran.cli import main
from doran.devkit.ports import free_port


def _closed_port() -> int:
    return free_port()  # nothing listens on it


def test_without_a_broker_address_it_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DORAN_BROKER_ADDRESS", raising=False)

    result = CliRunner().invoke(main, ["dlq", "replay", "--dry-run"])

    assert result.exit_code == 2
    assert "DORAN_BROKER_ADDRESS" in result.output


def test_an_unknown_stage_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["dlq", "replay", "--stage", "publish"])

    assert result.exit_code == 2
    assert "'publish' is not one of" in result.output


def test_an_unreachable_broker_is_reported_with_its_address() -> None:
    address = f"127.0.0.1:{_closed_port()}"

    result = CliRunner().invoke(
        main, ["dlq", "replay", "--timeout", "2"], env={"DORAN_BROKER_ADDRESS": address}
    )

    assert result.exit_code == 2
    assert f"Cannot reach the broker at {address}" in result.output
