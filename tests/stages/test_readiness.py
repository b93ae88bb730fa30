"""Readiness: ready while every condition holds; each change of the whole is logged once, with what is
missing."""

from __future__ import annotations

import logging

import pytest

from doran.stages.lifecycle import Lifecycle
from doran.stages.readiness import Readiness


def test_ready_only_while_every_condition_holds(caplog: pytest.LogCaptureFixture) -> None:
    readiness = Readiness(Lifecycle("normalize"), ("assigned", "broker"))
    with caplog.at_level(logging.INFO, logger="doran.lifecycle"):
        assert readiness.probe() == (False, "not ready: assigned, broker")
        readiness.set("broker", True)
        assert not readiness.ready
        readiness.set("assigned", True)
        readiness.set("assigned", True)  # no change, no line
        assert readiness.probe() == (True, "ready")
        readiness.set("broker", False)
        readiness.set("assigned", False)  # still unready: no second line
        assert readiness.probe() == (False, "not ready: assigned, broker")
        readiness.set("broker", True)
        readiness.set("assigned", True)
    assert [r.getMessage() for r in caplog.records] == [
        "event=ready stage=normalize",
        "event=unready stage=normalize missing=broker",
        "event=ready stage=normalize",
    ]


def test_an_unknown_condition_is_refused() -> None:
    readiness = Readiness(Lifecycle("ingest"), ("relay",))
    with pytest.raises(KeyError, match="unknown readiness condition 'relya'"):
        readiness.set("relya", True)
