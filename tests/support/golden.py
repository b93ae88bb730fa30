"""The golden examples under schemas/examples, shared by the tests that use them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from doran.contracts import TOPICS, Envelope
from doran.schema_source.golden import golden_example
from doran.schema_source.registry import TopicSpec

EXAMPLES = Path(__file__).resolve().parents[2] / "schemas" / "examples"


@dataclass(frozen=True)
class Golden:
    topic: str
    kind: str  # "valid" | "invalid"
    name: str
    data: bytes
    expect: dict[str, Any]

    @property
    def spec(self) -> TopicSpec[Envelope]:
        """The topic of the example, from the registry."""
        return TOPICS[self.topic]

    @property
    def id(self) -> str:
        return f"{self.topic}/{self.kind}/{self.name}"


def golden_examples() -> Iterator[Golden]:
    for path in sorted(EXAMPLES.glob("*/*/*.json")):
        example = golden_example(json.loads(path.read_bytes()))
        assert example is not None, f"{path} is not in the golden example format"
        yield Golden(path.parts[-3], path.parts[-2], path.stem, example.data, dict(example.expect))
