"""Wrong: the binding only warns (validationActions: [Warn]); every request goes through."""

from pathlib import Path

from threeplanes.checking.programs import hand_in, patched

ANSWER = Path(__file__).resolve().parents[1] / "policy.yaml"


def apply(cluster, namespace: str) -> None:
    changes = {"validationActions: [Deny]": "validationActions: [Warn]"}
    hand_in(cluster, namespace, patched(ANSWER, changes), "policy.yaml")
