"""Wrong: the program prints ready and ends, and its control plane ends with it."""

from pathlib import Path

from threeplanes.checking.programs import hand_in, patched

SOLUTION = Path(__file__).parents[1] / "solution.py"


def apply(cluster, namespace: str) -> None:
    changes = {"    signal.pause()\n": ""}
    hand_in(cluster, namespace, patched(SOLUTION, changes), "my_control_plane.py")
