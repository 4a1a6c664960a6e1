"""Wrong: storageClassName "" to mean "any class"; it means "no class", and turns the default class away."""

from pathlib import Path

from threeplanes.checking.programs import hand_in, patched

ANSWER = Path(__file__).resolve().parents[1] / "portable.yaml"


def apply(cluster, namespace: str) -> None:
    change = {"spec:\n  accessModes": 'spec:\n  storageClassName: ""\n  accessModes'}
    hand_in(cluster, namespace, patched(ANSWER, change), "portable.yaml")
