"""`doran contracts validate`: golden examples as they are, stdin only when asked for, nothing to
validate is an error, and a message no broker would take is invalid."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from support import golden

from doran.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "schemas" / "examples"
DEMAND = json.loads((EXAMPLES / "norm.swap_demand" / "valid" / "exact_in.json").read_text())["message"]


def _validate(
    *arguments: str, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["contracts", "validate", *arguments], input=stdin, env=env)
    return result.exit_code, result.output


@pytest.mark.parametrize("example", list(golden.golden_examples()), ids=lambda e: e.id)
def test_a_golden_example_is_validated_as_it_is_with_the_outcome_it_claims(example: golden.Golden) -> None:
    path = EXAMPLES / example.topic / example.kind / f"{example.name}.json"
    code, output = _validate(example.topic, str(path))
    if example.kind == "valid":
        assert (code, output.splitlines()[-1]) == (0, "1 valid, 0 invalid"), output
    else:
        assert code == 1 and output.startswith(f"{path}: {example.expect.get('reason', '')}"), output


def test_without_files_it_asks_for_them_rather_than_waiting_on_stdin() -> None:
    code, output = _validate("norm.swap_demand", stdin=json.dumps(DEMAND).encode())
    assert code == 2 and "name the FILEs to validate, or -" in output


def test_dash_reads_one_message_per_line_from_stdin() -> None:
    bad = {**DEMAND, "payload": {**DEMAND["payload"], "ttl_ms": -1}}
    lines = f"{json.dumps(DEMAND)}\n\n{json.dumps(bad)}\n".encode()
    code, output = _validate("norm.swap_demand", "-", stdin=lines)
    assert code == 1 and output.splitlines()[0] == "<stdin>:3: schema_violation"
    assert output.splitlines()[-1] == "1 valid, 1 invalid"


def test_empty_input_is_an_error_not_zero_valid(tmp_path: Path) -> None:
    assert _validate("norm.swap_demand", "-", stdin=b"\n\n")[0] == 2
    (tmp_path / "empty.json").write_bytes(b"")
    code, output = _validate("norm.swap_demand", str(tmp_path / "empty.json"))
    assert code == 2 and "empty.json is empty" in output


def test_a_message_larger_than_the_broker_takes_is_invalid(tmp_path: Path) -> None:
    # Valid by its schema: raw is the venue's own data, kept verbatim whatever its size.
    large = {**DEMAND, "raw": {"padding": "x" * 150_000}}
    (tmp_path / "large.json").write_text(json.dumps(large))
    code, output = _validate(
        "norm.swap_demand", str(tmp_path / "large.json"), env={"DORAN_MAX_MESSAGE_BYTES": "100000"}
    )
    assert code == 1 and "large.json: message_too_large" in output
    assert "records are limited to 100000 (DORAN_MAX_MESSAGE_BYTES" in output
    assert _validate("norm.swap_demand", str(tmp_path / "large.json"))[0] == 0  # under the default 1 MB
