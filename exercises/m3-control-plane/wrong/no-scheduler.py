"""Wrong: no scheduler; the pods are made and stay Pending with no node."""

from pathlib import Path

from threeplanes.checking.programs import hand_in, patched

SOLUTION = Path(__file__).parents[1] / "solution.py"


def apply(cluster, namespace: str) -> None:
    changes = {
        '    parts.start("kube-scheduler", component_binary("kube-scheduler"), scheduler)\n': "",
        '    parts.wait_until("kube-scheduler", f"https://127.0.0.1:{scheduler_port}/healthz")\n': "",
    }
    hand_in(cluster, namespace, patched(SOLUTION, changes), "my_control_plane.py")
