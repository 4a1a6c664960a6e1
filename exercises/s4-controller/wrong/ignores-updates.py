"""Wrong: children are created when missing and never changed afterwards (a child that exists is only read)."""

from pathlib import Path

from threeplanes.checking.programs import hand_in, patched

SOLUTION = Path(__file__).parents[1] / "solution.py"


def apply(cluster, namespace: str) -> None:
    change = {"        return patch(name, self.namespace, body)": "        return read(name, self.namespace)"}
    hand_in(cluster, namespace, patched(SOLUTION, change), "my_controller.py")
