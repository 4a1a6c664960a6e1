"""Wrong: the pod template keeps the name of the book's real node, which the second cluster does not have."""

from pathlib import Path

from threeplanes.checking.programs import hand_in, patched

ANSWER = Path(__file__).resolve().parents[1] / "portable.yaml"


def apply(cluster, namespace: str) -> None:
    change = {"    spec:\n      containers:": "    spec:\n      nodeName: real-worker\n      containers:"}
    hand_in(cluster, namespace, patched(ANSWER, change), "portable.yaml")
