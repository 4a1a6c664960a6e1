"""A typical wrong answer: no case for a pod that fits nowhere, so min() of nothing ends the program."""

from pathlib import Path

from threeplanes.checking.programs import hand_in, patched

ANSWER = Path(__file__).resolve().parents[1] / "my_scheduler.py"


def apply(cluster, namespace: str) -> None:
    old = """    if not fitting:
        return None, f"0/{len(nodes)} nodes are available: {len(nodes)} node(s) didn't match the nodeSelector {wanted}"
"""
    hand_in(cluster, namespace, patched(ANSWER, {old: ""}), "my_scheduler.py")
