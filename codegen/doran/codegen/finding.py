"""A finding of `doran-codegen lint`: where, which rule, what to do."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LintFinding"]


@dataclass(frozen=True, order=True)
class LintFinding:
    """One broken convention: where (file + JSON pointer), which rule, what to do."""

    file: str
    pointer: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}#{self.pointer} [{self.rule}] {self.message}"
