"""Wrong: the program prints ready and ends, and its control plane ends with it."""

from pathlib import Path

from threeplanes.system.assembly import use_control_plane
from threeplanes.system.controllers import patched

SOLUTION = Path(__file__).parents[1] / "solution.py"


def apply(cluster, namespace: str) -> None:
    changes = {"    signal.pause()\n": ""}
    use_control_plane(cluster, namespace, patched(SOLUTION, changes, f"{namespace}-exits-after-ready"))
