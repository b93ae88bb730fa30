"""The Quix app every stage runs on takes its librdkafka settings from doran's Settings."""

from __future__ import annotations

from pathlib import Path

from support.broker import stage_settings

from doran.stages.quix_stage import quix_application


def _producer_config(
    settings_linger_ms: float, tmp_path: Path, *, transactional: bool = False, **extra: object
) -> dict[str, object]:
    settings = stage_settings(tmp_path, "127.0.0.1:9", producer_linger_ms=settings_linger_ms)
    app = quix_application(settings, "127.0.0.1:9", "probe", **extra)
    producer = app.get_producer(transactional=transactional)
    # Quix offers no getter for the librdkafka configuration it builds; its attribute is read here.
    config: dict[str, object] = producer._producer_config
    return config


def test_every_producer_lingers_as_the_setting_says(tmp_path: Path) -> None:
    assert _producer_config(0.0, tmp_path)["linger.ms"] == 0.0
    assert _producer_config(7.5, tmp_path)["linger.ms"] == 7.5


def test_the_executors_transactional_id_is_kept_beside_it(tmp_path: Path) -> None:
    extra = {"transactional.id": "doran.execute"}
    config = _producer_config(2.0, tmp_path, transactional=True, producer_extra_config=extra)
    assert config["linger.ms"] == 2.0
    assert str(config["transactional.id"]).endswith("doran.execute")
