"""Wrong: every authenticated user may do everything (--authorization-mode=AlwaysAllow)."""

from pathlib import Path

from threeplanes.checking.programs import hand_in, patched

SOLUTION = Path(__file__).parents[1] / "solution.py"


def apply(cluster, namespace: str) -> None:
    changes = {'AUTHORIZATION = "Node,RBAC"': 'AUTHORIZATION = "AlwaysAllow"'}
    hand_in(cluster, namespace, patched(SOLUTION, changes), "my_control_plane.py")
