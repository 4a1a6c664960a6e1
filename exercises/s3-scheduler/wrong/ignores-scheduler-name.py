"""A typical wrong answer: takes every pending pod of the namespace, also those that name another scheduler."""

from pathlib import Path

from threeplanes.checking.programs import hand_in, patched

ANSWER = Path(__file__).resolve().parents[1] / "my_scheduler.py"


def apply(cluster, namespace: str) -> None:
    old = '    pending = f"spec.schedulerName={NAME},spec.nodeName="'
    hand_in(cluster, namespace, patched(ANSWER, {old: '    pending = "spec.nodeName="'}), "my_scheduler.py")
