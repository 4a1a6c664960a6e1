"""A typical wrong answer: every pod goes to the first node that fits, never the least loaded one."""

from pathlib import Path

from threeplanes.checking.programs import hand_in, patched

ANSWER = Path(__file__).resolve().parents[1] / "my_scheduler.py"


def apply(cluster, namespace: str) -> None:
    old = "    return min(fitting, key=lambda node: (load.get(node, 0), node)), None"
    program = patched(ANSWER, {old: "    return fitting[0], None"})
    hand_in(cluster, namespace, program, "my_scheduler.py")
