"""A typical wrong answer: the least loaded node, whatever the pod's nodeSelector asks for."""

from pathlib import Path

from threeplanes.checking.programs import hand_in, patched

ANSWER = Path(__file__).resolve().parents[1] / "my_scheduler.py"


def apply(cluster, namespace: str) -> None:
    old = (
        "fitting = sorted(name for name, labels in nodes.items() if all(labels.get(k) == v for k, v in wanted.items()))"
    )
    program = patched(ANSWER, {old: "fitting = sorted(nodes)"})
    hand_in(cluster, namespace, program, "my_scheduler.py")
