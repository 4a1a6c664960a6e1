"""Wrong: the children carry no owner reference, so they survive their Greeting."""

from pathlib import Path

from threeplanes.checking.programs import hand_in, patched

SOLUTION = Path(__file__).parents[1] / "solution.py"


def apply(cluster, namespace: str) -> None:
    change = {'meta = {"name": name, "ownerReferences": [owner_reference(greeting)]}': 'meta = {"name": name}'}
    hand_in(cluster, namespace, patched(SOLUTION, change), "my_controller.py")
