"""A page's kernel that dies before its first reply (a port another kernel took) is started again; nothing else is."""

from __future__ import annotations

from pathlib import Path

import pytest

from threeplanes import book

SETTINGS = book.ExecutionSettings(cache=Path("/nonexistent"), timeout=10, allow_errors=False)
PAGE = Path("labs/demo.md")


def kernels(monkeypatch: pytest.MonkeyPatch, outcomes: list) -> list:
    started: list = []

    def start(*args, **kwargs):
        started.append(kwargs)
        outcome = outcomes[len(started) - 1]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    monkeypatch.setattr(book, "single_nb_execution", start)
    return started


def test_a_kernel_that_died_at_start_is_started_again(monkeypatch: pytest.MonkeyPatch) -> None:
    started = kernels(monkeypatch, [RuntimeError(book.KERNEL_DIED), "result"])
    assert book.run_in_a_kernel({}, PAGE, SETTINGS) == "result"
    assert len(started) == 2


def test_it_gives_up_after_three_deaths(monkeypatch: pytest.MonkeyPatch) -> None:
    started = kernels(monkeypatch, [RuntimeError(book.KERNEL_DIED)] * 3)
    with pytest.raises(RuntimeError, match="Kernel died"):
        book.run_in_a_kernel({}, PAGE, SETTINGS)
    assert len(started) == book.KERNEL_STARTS


def test_any_other_error_is_not_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    started = kernels(monkeypatch, [RuntimeError("the page is broken"), "result"])
    with pytest.raises(RuntimeError, match="broken"):
        book.run_in_a_kernel({}, PAGE, SETTINGS)
    assert len(started) == 1
