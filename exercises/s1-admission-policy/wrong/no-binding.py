"""Wrong: the policy alone, with no ValidatingAdmissionPolicyBinding; it is never used."""

from pathlib import Path

from threeplanes.checking.programs import hand_in, patched

ANSWER = Path(__file__).resolve().parents[1] / "policy.yaml"


def apply(cluster, namespace: str) -> None:
    text = ANSWER.read_text()
    binding = text[text.index("---\n") :]
    hand_in(cluster, namespace, patched(ANSWER, {binding: ""}), "policy.yaml")
