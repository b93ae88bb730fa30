"""Policy files: the demo default round-trips; every inconsistency is refused at load, not per message."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from doran.contracts import NORM_SWAP_DEMAND, bundled_schema
from doran.pipeline import PolicyError, default_policy, load_policy
from doran.pipeline.pricing import U128_MAX

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "relay-quotes.jsonl"
ASSET_ID = re.compile(bundled_schema(NORM_SWAP_DEMAND.name)["$defs"]["AssetId"]["pattern"])


def sample_assets() -> set[str]:
    """Every well-formed asset id the sample relay recording asks quotes for."""
    assets = set()
    for line in SAMPLES.read_text().splitlines():
        try:
            frame = json.loads(line)
        except ValueError:
            continue  # the recording holds deliberately broken frames
        data = frame.get("params", {}).get("data") if isinstance(frame, dict) else None
        if isinstance(data, dict):
            for field in ("defuse_asset_identifier_in", "defuse_asset_identifier_out"):
                if isinstance(data.get(field), str) and ASSET_ID.fullmatch(data[field]):
                    assets.add(data[field])
    return assets


def small_policy() -> dict[str, Any]:
    return {
        "name": "small",
        "min_ttl_ms": 0,
        "spread_bps": 10,
        "assets": {
            "nep141:a.near": {"decimals": 6, "min_amount": "1", "max_amount": "1000"},
            "nep141:b.near": {"decimals": 6, "min_amount": "1", "max_amount": "1000"},
        },
        "pairs": [{"asset_in": "nep141:a.near", "asset_out": "nep141:b.near"}],
        "prices": [
            {"asset_in": "nep141:a.near", "asset_out": "nep141:b.near", "numerator": 1, "denominator": 1}
        ],
    }


def write(tmp_path: Path, document: object) -> Path:
    path = tmp_path / "policy.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return path


def test_default_policy_quotes_every_direction_between_the_sample_assets() -> None:
    policy = default_policy()
    demo_assets = sample_assets()
    assert len(demo_assets) >= 6
    assert set(policy.assets) == demo_assets
    for asset_in in demo_assets:
        for asset_out in demo_assets - {asset_in}:
            assert policy.allows(asset_in, asset_out)
            assert policy.price_of(asset_in, asset_out) is not None
    assert not policy.allows("nep141:wrap.near", "nep141:wrap.near")


def test_a_policy_file_round_trips(tmp_path: Path) -> None:
    path = write(tmp_path, default_policy().model_dump_json())
    assert load_policy(path) == default_policy()


def test_small_policy_loads(tmp_path: Path) -> None:
    policy = load_policy(write(tmp_path, small_policy()))
    assert policy.allows("nep141:a.near", "nep141:b.near")
    assert not policy.allows("nep141:b.near", "nep141:a.near")


def broken(change: str) -> dict[str, Any]:
    document = small_policy()
    a = document["assets"]["nep141:a.near"]
    match change:
        case "unknown asset in a pair":
            document["pairs"].append({"asset_in": "nep141:a.near", "asset_out": "nep141:zzz.near"})
        case "min above max":
            a["min_amount"] = "2000"
        case "zero min":
            a["min_amount"] = "0"
        case "max above u128":
            a["max_amount"] = str(U128_MAX + 1)
        case "amount as a JSON number":
            a["max_amount"] = 1000
        case "fractional price":
            document["prices"][0]["numerator"] = 1.5
        case "float-typed integer price":
            document["prices"][0]["numerator"] = 1.0
        case "zero denominator":
            document["prices"][0]["denominator"] = 0
        case "two prices for one direction":
            document["prices"].append(dict(document["prices"][0]))
        case "self swap":
            document["pairs"].append({"asset_in": "nep141:a.near", "asset_out": "nep141:a.near"})
        case "spread of 100%":
            document["spread_bps"] = 10_000
        case "unknown key":
            document["surprise"] = True
        case "not an asset id":
            document["assets"]["usdt"] = dict(a)
    return document


@pytest.mark.parametrize(
    "change",
    [
        "unknown asset in a pair",
        "min above max",
        "zero min",
        "max above u128",
        "amount as a JSON number",
        "fractional price",
        "float-typed integer price",
        "zero denominator",
        "two prices for one direction",
        "self swap",
        "spread of 100%",
        "unknown key",
        "not an asset id",
    ],
)
def test_inconsistent_policies_are_refused(tmp_path: Path, change: str) -> None:
    path = write(tmp_path, broken(change))
    with pytest.raises(PolicyError, match=str(path)):
        load_policy(path)


def test_unreadable_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot be read"):
        load_policy(tmp_path / "absent.json")
    with pytest.raises(PolicyError, match="not a valid policy"):
        load_policy(write(tmp_path, "{not json"))
