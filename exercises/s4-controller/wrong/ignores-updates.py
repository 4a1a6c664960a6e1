"""Wrong: children are created when missing and never changed afterwards (a child that exists is only read)."""

from pathlib import Path

from threeplanes.system.controllers import patched, use_controller

SOLUTION = Path(__file__).parents[1] / "solution.py"


def apply(cluster, namespace: str) -> None:
    change = {"        return patch(name, self.namespace, body)": "        return read(name, self.namespace)"}
    use_controller(cluster, namespace, patched(SOLUTION, change, f"{namespace}-ignores-updates"))
