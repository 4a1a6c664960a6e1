"""``holds_for``: the opposite of a wait, shown with a listing that never changes."""

from __future__ import annotations

from types import SimpleNamespace

from threeplanes.kit.wait import holds_for

LISTING = SimpleNamespace(
    items=[SimpleNamespace(metadata=SimpleNamespace(namespace="ns", name="web"), ready=False)],
    metadata=SimpleNamespace(resource_version="1"),
)


def test_a_state_that_does_not_hold_is_reported_at_once() -> None:
    assert holds_for(lambda **kw: LISTING, lambda objs: objs[0].ready, seconds=5) is False


def test_a_state_that_holds_until_the_deadline_is_reported() -> None:
    assert holds_for(lambda **kw: LISTING, lambda objs: not objs[0].ready, seconds=0) is True
