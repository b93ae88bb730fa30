"""check_startup: fail closed when offsets exist but the idempotency history does not."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from support.commands import command

from doran.executor import (
    ALLOW_MISSING_STATE_ENV,
    ExecutorStore,
    IdempotencyHistoryLost,
    StartupVerdict,
    Ticket,
    check_startup,
)
from doran.settings import Settings

NOW = datetime(2026, 3, 28, 20, 0, 7, tzinfo=UTC)


def test_first_start_is_fresh(store: ExecutorStore) -> None:
    assert (
        check_startup(store, committed_offsets_exist=False, allow_missing_state=False) is StartupVerdict.FRESH
    )


def test_a_store_with_history_resumes(store: ExecutorStore) -> None:
    store.begin([(command("q-1"), Ticket())], now=NOW)
    assert (
        check_startup(store, committed_offsets_exist=True, allow_missing_state=False)
        is StartupVerdict.RESUMED
    )


def test_offsets_without_state_refuse_to_start(store: ExecutorStore) -> None:
    with pytest.raises(IdempotencyHistoryLost) as caught:
        check_startup(store, committed_offsets_exist=True, allow_missing_state=False)
    message = str(caught.value)
    assert str(store.path) in message
    assert "did not exist" in message
    assert "PVC" in message
    assert "execute them again" in message
    assert f"{ALLOW_MISSING_STATE_ENV}=true" in message


def test_an_existing_but_empty_state_file_also_refuses(state_dir: Path) -> None:
    ExecutorStore.open(state_dir).close()
    with (
        ExecutorStore.open(state_dir) as store,
        pytest.raises(IdempotencyHistoryLost, match="holds no command"),
    ):
        check_startup(store, committed_offsets_exist=True, allow_missing_state=False)


def test_the_override_starts_anyway(store: ExecutorStore) -> None:
    verdict = check_startup(store, committed_offsets_exist=True, allow_missing_state=True)
    assert verdict is StartupVerdict.OVERRIDDEN


def test_the_override_is_the_settings_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ALLOW_MISSING_STATE_ENV, "true")
    assert Settings().executor_allow_missing_state is True
