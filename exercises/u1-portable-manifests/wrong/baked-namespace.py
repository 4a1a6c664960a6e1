"""Wrong: the Service still names the namespace it was written for."""

from pathlib import Path

from threeplanes.checking.programs import hand_in, patched

ANSWER = Path(__file__).resolve().parents[1] / "portable.yaml"


def apply(cluster, namespace: str) -> None:
    change = {"kind: Service\nmetadata:\n  name: shop\n": "kind: Service\nmetadata:\n  name: shop\n  namespace: shop\n"}
    hand_in(cluster, namespace, patched(ANSWER, change), "portable.yaml")
