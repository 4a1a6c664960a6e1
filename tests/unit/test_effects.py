"""``poll_until``: look again until the effect shows, count the lag from the change, name the last sight."""

from __future__ import annotations

import time

import pytest

from threeplanes.errors import WaitTimeout
from threeplanes.kit.effects import poll_until


def test_returns_what_it_saw_once_the_effect_shows_and_counts_from_since() -> None:
    answers = iter(["info", "info", "debug"])
    changed = time.monotonic() - 5
    effect = poll_until(lambda: next(answers), lambda seen: seen == "debug", what="the file", every=0, since=changed)
    assert effect.seen == "debug"
    assert 5 <= effect.after < 10


def test_a_timeout_names_what_was_awaited_and_the_last_thing_seen() -> None:
    with pytest.raises(WaitTimeout, match=r"the file to read debug: not seen after 0 s; last seen: level info"):
        poll_until(
            lambda: "info",
            lambda seen: seen == "debug",
            what="the file to read debug",
            describe=lambda seen: f"level {seen}",
            timeout=0,
        )
