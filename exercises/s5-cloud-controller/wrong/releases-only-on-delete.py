"""Wrong: a Service that is no longer of the class is skipped before anything else, as in the lab; its address
is released when it is deleted, never when its type changes to ClusterIP (which empties its class)."""

from pathlib import Path

from threeplanes.checking.programs import hand_in, patched

SOLUTION = Path(__file__).parents[1] / "solution.py"


def apply(cluster, namespace: str) -> None:
    change = {
        '        if kind == "DELETED" or not is_mine(service):\n': (
            '        if not is_mine(service):\n            return\n        if kind == "DELETED":\n'
        )
    }
    hand_in(cluster, namespace, patched(SOLUTION, change), "my_cloud.py")
