"""Teardown of the fix-kubelet-down mission: remove the mission's real node, stop its control plane and remove its
folder."""

from __future__ import annotations

from pathlib import Path

from threeplanes.checking import missions


def apply(book, namespace: str) -> None:
    missions.load_part(Path(__file__).parent).MissionPlane(namespace).remove()
