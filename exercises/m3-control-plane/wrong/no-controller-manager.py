"""Wrong: the controller manager is never started; the API stores a Deployment and nothing acts on it."""

from pathlib import Path

from threeplanes.system.assembly import use_control_plane
from threeplanes.system.controllers import patched

SOLUTION = Path(__file__).parents[1] / "solution.py"


def apply(cluster, namespace: str) -> None:
    changes = {
        '    parts.start("kube-controller-manager", component_binary("kube-controller-manager"), manager)\n': "",
        '    parts.wait_until("kube-controller-manager", f"https://127.0.0.1:{manager_port}/healthz")\n': "",
    }
    use_control_plane(cluster, namespace, patched(SOLUTION, changes, f"{namespace}-no-controller-manager"))
