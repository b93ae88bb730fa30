"""The golden examples' file format, read in one place: schemas/examples/<topic>/<valid|invalid>/<name>.json
holds {"description": what it shows, "expect": what decoding it gives (optional), and the message:
"message" (a JSON value) or, for one that is no JSON, "message_text" (its text)}.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["GoldenExample", "golden_example"]

_KEYS = {"description", "expect", "message", "message_text"}


@dataclass(frozen=True)
class GoldenExample:
    """One golden example: what it shows, the bytes of its message, and the outcome it claims."""

    description: str
    data: bytes
    expect: Mapping[str, Any] = field(default_factory=dict)


def golden_example(document: Any) -> GoldenExample | None:
    """The golden example a parsed JSON document is, or None when it is not one (a bare message)."""
    if not isinstance(document, dict) or not isinstance(document.get("description"), str):
        return None
    if set(document) - _KEYS or ("message" in document) == ("message_text" in document):
        return None
    expect = document.get("expect", {})
    if "message_text" in document:
        text = document["message_text"]
        if not isinstance(text, str):
            return None
        data = text.encode()
    else:
        data = json.dumps(document["message"]).encode()
    return GoldenExample(document["description"], data, expect if isinstance(expect, dict) else {})
