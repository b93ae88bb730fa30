"""A detected change: the rule it falls under, where in the schema it is, and what happened."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Change", "pointer_of"]


def pointer_of(path: tuple[str, ...]) -> str:
    """RFC 6901 pointer of a schema path ("" is the root)."""
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in path)


@dataclass(frozen=True)
class Change:
    """One change found between two schema nodes; `path` is relative until placed `under` a parent."""

    rule_id: str
    path: tuple[str, ...]
    text: str

    @property
    def pointer(self) -> str:
        return pointer_of(self.path)

    @property
    def message(self) -> str:
        return f"{self.text} at {self.pointer or 'the root'}"

    def under(self, prefix: tuple[str, ...]) -> Change:
        return Change(self.rule_id, prefix + self.path, self.text)
