"""Wrong: the liveness probe starts after 2 s, before the server listens, so the kubelet kills it while it starts."""

from pathlib import Path

from threeplanes.checking.programs import hand_in, patched

ANSWER = Path(__file__).resolve().parents[1] / "pod.yaml"


def apply(cluster, namespace: str) -> None:
    changes = {"initialDelaySeconds: 15": "initialDelaySeconds: 2"}
    hand_in(cluster, namespace, patched(ANSWER, changes), "pod.yaml")
