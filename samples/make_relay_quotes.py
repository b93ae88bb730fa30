"""Write samples/relay-quotes.jsonl: a deterministic recording of NEAR Intents solver relay frames.

One frame per line, exactly as the relay's websocket delivers it (compact JSON-RPC 2.0): the
subscribe ack, quote request events (`method: "event"`, `params.subscription` + `params.data`),
a reconnect (a second ack with a new subscription id), three redelivered duplicates, and about 3%
malformed frames. Asset ids are real NEAR Intents ones; amounts are in each asset's smallest unit
and span the whole u128 range, 2^128-1 included.

Malformed frames, by the stage expected to dead-letter them:
  ingest    (structure): not JSON, no quote_id, no amount, amount as a JSON number, non-quote event
  normalize (values):    both amounts, negative amount, decimal-point amount, unknown asset form,
                         amount above u128

Run: python samples/make_relay_quotes.py [--seed N] [--quotes N] [--out PATH]
"""

from __future__ import annotations

import argparse
import json
import random
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

U128_MAX = 2**128 - 1

# Real NEAR Intents (Defuse) asset ids and their decimals.
ASSETS: dict[str, int] = {
    "nep141:wrap.near": 24,
    "nep141:usdt.tether-token.near": 6,
    "nep141:17208628f84f5d6ad33f0da3bbbeb27ffcb398eac501a31bd6ad2011e36133a1": 6,  # native USDC
    "nep141:eth.omft.near": 18,
    "nep141:btc.omft.near": 8,
    "nep141:sol.omft.near": 9,
    "nep141:zec.omft.near": 8,
    "nep141:eth-0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48.omft.near": 6,  # USDC on Ethereum
    "nep141:base-0x833589fcd6edb6e08f4c7c32d4f71b54bda02913.omft.near": 6,  # USDC on Base
    "nep141:arb-0xaf88d065e77c8cc2239327c5edb3a432268e5831.omft.near": 6,  # USDC on Arbitrum
    "nep245:v2_1.omni.hot.tg:56_11111111111111111111": 18,  # BNB via HOT omni
    "nep245:v2_1.omni.hot.tg:43114_11111111111111111111": 18,  # AVAX via HOT omni
    "nep245:v2_1.omni.hot.tg:137_qiStmoQJDQPTebaPjgx5VBxZv6L": 6,  # USDC on Polygon via HOT omni
}
# Edge amounts every consumer must carry without loss.
EDGE_AMOUNTS = ["1", str(2**53 + 1), str(2**64 - 1), str(2**64), str(10**38), str(U128_MAX)]
UNKNOWN_ASSET_FORMS = [
    "erc20:0xdac17f958d2ee523a2206206994597c13d831ec7",
    "near:wrap.near",
    "nep141:",
    "1cs_v1:sol:spl:A7bdiYdS5GjqGFtxf17ppRHtDKPkkRqbKtR27dxvQXaS",
]
# How many of each malformed kind; about 3% of the default 1,200 quotes.
MALFORMED = {
    "not_json": 6,
    "missing_quote_id": 5,
    "missing_amount": 3,
    "number_amount": 3,
    "non_quote_event": 3,
    "both_amounts": 5,
    "negative_amount": 4,
    "decimal_point_amount": 4,
    "unknown_asset_form": 4,
    "amount_above_u128": 4,
}


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _amount(rng: random.Random, decimals: int) -> str:
    roll = rng.random()
    if roll < 0.75:  # a plausible trade: up to ~10 million whole units
        digits = rng.randint(max(1, decimals - 4), decimals + 7)
        return str(rng.randint(10 ** (digits - 1), 10**digits - 1))
    if roll < 0.97:  # anywhere in u128, log-uniform by bit length
        bits = rng.randint(1, 128)
        return str(rng.getrandbits(bits) | (1 << (bits - 1)))
    return rng.choice(EDGE_AMOUNTS)


def _quote(rng: random.Random, edge: tuple[str, str] | None = None) -> dict[str, Any]:
    asset_in, asset_out = rng.sample(sorted(ASSETS), 2)
    side = "exact_amount_in" if rng.random() < 0.6 else "exact_amount_out"
    fixed_asset = asset_in if side == "exact_amount_in" else asset_out
    amount = _amount(rng, ASSETS[fixed_asset])
    if edge is not None:
        side, amount = edge
    return {
        "quote_id": _uuid(rng),
        "defuse_asset_identifier_in": asset_in,
        "defuse_asset_identifier_out": asset_out,
        side: amount,
        "min_deadline_ms": rng.choice([30_000, 60_000, 60_000, 120_000]),
        "min_wait_ms": rng.choice([1_000, 1_900]),
        "max_wait_ms": 3_000,
        "protocol_fee_included": rng.random() < 0.2,
    }


def _malformed(kind: str, rng: random.Random, subscription: str) -> str:
    data = _quote(rng)
    side = "exact_amount_in" if "exact_amount_in" in data else "exact_amount_out"
    if kind == "not_json":
        truncated = _frame(subscription, data)[:57]
        return rng.choice([truncated, "ping", '{"jsonrpc":"2.0",', "<html>502 Bad Gateway"])
    if kind == "missing_quote_id":
        del data["quote_id"]
    elif kind == "missing_amount":
        del data[side]
    elif kind == "number_amount":
        data[side] = rng.choice([1.5e21, 2**130, 12345.678])
    elif kind == "non_quote_event":
        hashes = {"quote_hash": rng.randbytes(32).hex(), "intent_hash": rng.randbytes(32).hex()}
        data = {**hashes, "tx_hash": _uuid(rng)}  # a quote_status notification, not a quote
    elif kind == "both_amounts":
        data["exact_amount_in"] = data["exact_amount_out"] = str(rng.randint(1, 10**20))
    elif kind == "negative_amount":
        data[side] = f"-{rng.randint(1, 10**24)}"
    elif kind == "decimal_point_amount":
        data[side] = f"{rng.randint(0, 10**6)}.{rng.randint(1, 999_999)}"
    elif kind == "unknown_asset_form":
        data[rng.choice(["defuse_asset_identifier_in", "defuse_asset_identifier_out"])] = rng.choice(
            UNKNOWN_ASSET_FORMS
        )
    elif kind == "amount_above_u128":
        data[side] = str(rng.choice([U128_MAX + 1, U128_MAX * 10, 10**39, 2**200]))
    else:
        raise ValueError(f"Unknown malformed kind {kind!r}")
    return _frame(subscription, data)


def _frame(subscription: str, data: dict[str, Any]) -> str:
    message = {"jsonrpc": "2.0", "method": "event", "params": {"subscription": subscription, "data": data}}
    return json.dumps(message, separators=(",", ":"))


def _ack(subscription: str) -> str:
    return json.dumps({"jsonrpc": "2.0", "id": 1, "result": subscription}, separators=(",", ":"))


def make_frames(seed: int, quotes: int) -> tuple[list[str], Counter[str]]:
    """The recording's lines and a count of each kind of frame in it."""
    rng = random.Random(seed)
    subscription = _uuid(rng)
    lines, kinds = [_ack(subscription)], Counter({"subscribe_ack": 1})
    malformed = [kind for kind, count in MALFORMED.items() for _ in range(count)]
    slots = set(rng.sample(range(quotes), len(malformed)))
    rng.shuffle(malformed)
    duplicates = set(rng.sample(range(100, quotes), 3))
    # Every edge amount at least once on each side, at random places among the good quotes.
    sides = ("exact_amount_in", "exact_amount_out")
    edge_values = [(side, amount) for amount in EDGE_AMOUNTS for side in sides]
    good = [index for index in range(quotes) if index not in slots]
    edges = dict(zip(rng.sample(good, len(edge_values)), edge_values, strict=True))
    reconnect_at = quotes * 7 // 12
    for index in range(quotes):
        if index == reconnect_at:  # the connection dropped; a new subscription id follows
            subscription = _uuid(rng)
            lines.append(_ack(subscription))
            kinds["subscribe_ack"] += 1
        if index in slots:
            kind = malformed.pop()
            lines.append(_malformed(kind, rng, subscription))
            kinds[kind] += 1
            continue
        lines.append(_frame(subscription, _quote(rng, edges.get(index))))
        kinds["quote"] += 1
        if index in duplicates:  # the relay redelivered the same frame
            lines.append(lines[-1])
            kinds["duplicate_quote"] += 1
    return lines, kinds


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=20260328)
    parser.add_argument("--quotes", type=int, default=1200)
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("relay-quotes.jsonl"))
    args = parser.parse_args()
    lines, kinds = make_frames(args.seed, args.quotes)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(lines)} frames to {args.out}: {dict(sorted(kinds.items()))}")


if __name__ == "__main__":
    main()
