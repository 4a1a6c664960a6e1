"""Wrong: a binding with no namespaceSelector, which applies the policy in every namespace."""

from pathlib import Path

from threeplanes.checking.programs import hand_in, patched

ANSWER = Path(__file__).resolve().parents[1] / "policy.yaml"


def apply(cluster, namespace: str) -> None:
    selector = "  matchResources:\n    namespaceSelector:\n      matchLabels:\n        team-policy: enforced\n"
    hand_in(cluster, namespace, patched(ANSWER, {selector: ""}), "policy.yaml")
