"""Wrong: the children carry no owner reference, so they survive their Greeting."""

from pathlib import Path

from threeplanes.system.controllers import patched, use_controller

SOLUTION = Path(__file__).parents[1] / "solution.py"


def apply(cluster, namespace: str) -> None:
    change = {'meta = {"name": name, "ownerReferences": [owner_reference(greeting)]}': 'meta = {"name": name}'}
    use_controller(cluster, namespace, patched(SOLUTION, change, f"{namespace}-no-owners"))
