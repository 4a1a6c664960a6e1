"""Teardown of the fix-wrong-ca mission: stop the mission's control plane and remove its folder."""

from __future__ import annotations

from pathlib import Path

from threeplanes.checking import missions


def apply(book, namespace: str) -> None:
    missions.load_part(Path(__file__).parent).MissionPlane(namespace).remove()
