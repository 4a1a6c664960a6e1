"""Wrong: the Service keeps the cluster IP it had on the team's first cluster."""

from pathlib import Path

from threeplanes.checking.programs import hand_in, patched

ANSWER = Path(__file__).resolve().parents[1] / "portable.yaml"


def apply(cluster, namespace: str) -> None:
    change = {"spec:\n  selector: {app: shop}\n": "spec:\n  clusterIP: 10.0.0.77\n  selector: {app: shop}\n"}
    hand_in(cluster, namespace, patched(ANSWER, change), "portable.yaml")
