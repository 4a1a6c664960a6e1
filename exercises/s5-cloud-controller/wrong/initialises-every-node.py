"""Wrong: every node the watch reports is initialised, whether or not it waits for its cloud (the taint)."""

from pathlib import Path

from threeplanes.checking.programs import hand_in, patched

SOLUTION = Path(__file__).parents[1] / "solution.py"


def apply(cluster, namespace: str) -> None:
    check = "    if UNINITIALIZED not in {t.key for t in taints}:\n        return\n"
    hand_in(cluster, namespace, patched(SOLUTION, {check: ""}), "my_cloud.py")
