"""Wrong: the controller manager is never started; the API stores a Deployment and nothing acts on it."""

from pathlib import Path

from threeplanes.checking.programs import hand_in, patched

SOLUTION = Path(__file__).parents[1] / "solution.py"


def apply(cluster, namespace: str) -> None:
    changes = {
        '    parts.start("kube-controller-manager", component_binary("kube-controller-manager"), manager)\n': "",
        '    parts.wait_until("kube-controller-manager", f"https://127.0.0.1:{manager_port}/healthz")\n': "",
    }
    hand_in(cluster, namespace, patched(SOLUTION, changes), "my_control_plane.py")
