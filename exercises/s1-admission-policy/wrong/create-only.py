"""Wrong: the policy matches CREATE only, so an update that breaks the rule goes through."""

from pathlib import Path

from threeplanes.checking.programs import hand_in, patched

ANSWER = Path(__file__).resolve().parents[1] / "policy.yaml"


def apply(cluster, namespace: str) -> None:
    changes = {'operations: ["CREATE", "UPDATE"]': 'operations: ["CREATE"]'}
    hand_in(cluster, namespace, patched(ANSWER, changes), "policy.yaml")
