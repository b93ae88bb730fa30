"""`doran contracts validate` and `doran schemas publish` with framed records and DORAN_REGISTRY_URL."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from support.golden import golden_examples
from support.registry import published_registry, registry_framing

from doran.cli import main
from doran.contracts import NORM_SWAP_DEMAND, TOPICS
from doran.wire import schema_prefix

DEMAND = next(g.data for g in golden_examples() if g.topic == NORM_SWAP_DEMAND.name and g.kind == "valid")


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    values = {
        "plain.json": DEMAND,
        "framed.bin": registry_framing().frame(NORM_SWAP_DEMAND.name, DEMAND),
        "unknown-id.bin": schema_prefix(99_999) + DEMAND,
        "wrong-magic.bin": b"\x05" + DEMAND,
    }
    for name, value in values.items():
        (tmp_path / name).write_bytes(value)
    return {name: tmp_path / name for name in values}


def _validate(*paths: Path, registry: str | None) -> tuple[int, list[str]]:
    env = {"DORAN_REGISTRY_URL": registry} if registry else {}
    result = CliRunner().invoke(
        main, ["contracts", "validate", NORM_SWAP_DEMAND.name, *map(str, paths)], env=env
    )
    return result.exit_code, result.output.splitlines()


def test_framed_and_plain_records_are_valid_and_schema_ids_are_checked(files: dict[str, Path]) -> None:
    code, lines = _validate(
        files["plain.json"], files["framed.bin"], files["unknown-id.bin"], registry=published_registry()
    )
    assert code == 1
    assert lines == [
        f"{files['unknown-id.bin']}: unknown_schema_id",
        "  (message): schema id 99999 is not registered in the schema registry (the record names it as "
        "the schema of its value; norm.swap_demand-value holds norm.swap_demand's)",
        "2 valid, 1 invalid",
    ]


def test_without_a_registry_a_schema_id_is_reported_unchecked(files: dict[str, Path]) -> None:
    code, lines = _validate(files["framed.bin"], files["wrong-magic.bin"], registry=None)
    schema_id = int.from_bytes(files["framed.bin"].read_bytes()[1:5], "big")
    assert code == 1
    assert lines[0] == f"{files['framed.bin']}: schema id {schema_id} not checked (no DORAN_REGISTRY_URL)"
    assert lines[1:3] == [
        f"{files['wrong-magic.bin']}: wrong_magic_byte",
        "  (message): the value starts with byte 0x05: Confluent framing starts with 0x00 (schema id) or "
        "0x01 (schema GUID), and JSON with '{'",
    ]
    assert lines[-1] == "1 valid, 1 invalid"


def test_schemas_publish_takes_the_registry_from_the_settings() -> None:
    missing = CliRunner().invoke(main, ["schemas", "publish", "--dry-run"], env={"DORAN_REGISTRY_URL": ""})
    assert missing.exit_code == 2 and "(DORAN_REGISTRY_URL stands for --registry)" in missing.output
    url = published_registry()
    done = CliRunner().invoke(main, ["schemas", "publish", "--dry-run"], env={"DORAN_REGISTRY_URL": url})
    assert done.exit_code == 0, done.output
    assert done.output.splitlines()[0].startswith(f"Schema registry {url}: {len(TOPICS)} subjects")
