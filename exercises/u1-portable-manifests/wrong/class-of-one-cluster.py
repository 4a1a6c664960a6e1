"""Wrong: the claim keeps the storage class of the team's first cluster, standard, which the book's cluster lacks."""

from pathlib import Path

from threeplanes.checking.programs import hand_in, patched

ANSWER = Path(__file__).resolve().parents[1] / "portable.yaml"


def apply(cluster, namespace: str) -> None:
    change = {"spec:\n  accessModes": "spec:\n  storageClassName: standard\n  accessModes"}
    hand_in(cluster, namespace, patched(ANSWER, change), "portable.yaml")
