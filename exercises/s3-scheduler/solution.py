"""The reference answer: my_scheduler.py, handed in as the page says (kubectl annotate namespace ...)."""

from pathlib import Path

from threeplanes.checking.programs import hand_in

ANSWER = Path(__file__).resolve().parent / "my_scheduler.py"


def apply(cluster, namespace: str) -> None:
    hand_in(cluster, namespace, ANSWER, "my_scheduler.py")
