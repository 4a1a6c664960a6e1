"""Wrong: no scheduler; the pods are made and stay Pending with no node."""

from pathlib import Path

from threeplanes.system.assembly import use_control_plane
from threeplanes.system.controllers import patched

SOLUTION = Path(__file__).parents[1] / "solution.py"


def apply(cluster, namespace: str) -> None:
    changes = {
        '    parts.start("kube-scheduler", component_binary("kube-scheduler"), scheduler)\n': "",
        '    parts.wait_until("kube-scheduler", f"https://127.0.0.1:{scheduler_port}/healthz")\n': "",
    }
    use_control_plane(cluster, namespace, patched(SOLUTION, changes, f"{namespace}-no-scheduler"))
