"""Teardown of the fix-etcd-quorum mission: stop the mission's etcd members and control plane, remove its folder."""

from __future__ import annotations

from pathlib import Path

from threeplanes.checking import missions


def apply(book, namespace: str) -> None:
    missions.load_part(Path(__file__).parent).MissionPlane(namespace).remove()
