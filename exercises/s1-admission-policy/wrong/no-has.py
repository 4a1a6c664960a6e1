"""Wrong: the memory rule reads resources.limits without has(); on a container without limits it errors."""

from pathlib import Path

from threeplanes.checking.programs import hand_in, patched

ANSWER = Path(__file__).resolve().parents[1] / "policy.yaml"


def apply(cluster, namespace: str) -> None:
    changes = {"has(c.resources.limits) && 'memory' in c.resources.limits": "'memory' in c.resources.limits"}
    hand_in(cluster, namespace, patched(ANSWER, changes), "policy.yaml")
