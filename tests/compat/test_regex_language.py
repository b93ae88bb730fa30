"""Pattern languages compared as automata, with JSON Schema's search semantics for anchors."""

from __future__ import annotations

import pytest

from doran.compat.regex_language import PatternRelation, compare_patterns

U128 = "^(?:0|[1-9][0-9]{0,37}|[1-2][0-9]{38}|3[0-3][0-9]{37})$"


@pytest.mark.parametrize(
    ("old", "new", "relation"),
    [
        ("^[a-z]+$", "^[a-z]+$", PatternRelation.EQUIVALENT),
        ("^(?:a|b)+$", "^[ab]+$", PatternRelation.EQUIVALENT),
        ("^[a-z][a-z0-9_]*$", "^[a-z][a-z0-9_-]*$", PatternRelation.LOOSENED),
        ("^[A-Za-z0-9][A-Za-z0-9._:-]*$", "^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$", PatternRelation.TIGHTENED),
        (U128, "^(?:0|[1-9][0-9]*)$", PatternRelation.LOOSENED),
        ("^a+$", "^b+$", PatternRelation.INCOMPARABLE),
        # unanchored patterns match anywhere: anchoring narrows, dropping an anchor widens
        ("abc", "^abc", PatternRelation.TIGHTENED),
        ("^abc$", "abc", PatternRelation.LOOSENED),
        ("abc$", "bc$", PatternRelation.LOOSENED),
        # shapes an automaton cannot hold here are never guessed at
        ("^(?=a)[a-z]+$", "^[a-z]+$", PatternRelation.UNKNOWN),
        ("^(a)\\1$", "^aa$", PatternRelation.UNKNOWN),
        ("^a|b$", "^a$", PatternRelation.UNKNOWN),
    ],
)
def test_relation_of_new_language_to_old(old: str, new: str, relation: PatternRelation) -> None:
    assert compare_patterns(old, new) is relation


def test_an_escaped_dollar_is_a_literal_not_an_anchor() -> None:
    # read as an anchor, "^a\\$" would match only "a"; as a literal it matches "a$" and anything after it
    assert compare_patterns("^a\\$$", "^a\\$") is PatternRelation.LOOSENED
