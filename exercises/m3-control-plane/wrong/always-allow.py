"""Wrong: every authenticated user may do everything (--authorization-mode=AlwaysAllow)."""

from pathlib import Path

from threeplanes.system.assembly import use_control_plane
from threeplanes.system.controllers import patched

SOLUTION = Path(__file__).parents[1] / "solution.py"


def apply(cluster, namespace: str) -> None:
    changes = {'AUTHORIZATION = "Node,RBAC"': 'AUTHORIZATION = "AlwaysAllow"'}
    use_control_plane(cluster, namespace, patched(SOLUTION, changes, f"{namespace}-always-allow"))
