"""Wrong: the client is never told which cluster to reach (no config.load_kube_config()), so the first call fails."""

from pathlib import Path

from threeplanes.system.controllers import patched, use_controller

SOLUTION = Path(__file__).parents[1] / "solution.py"


def apply(cluster, namespace: str) -> None:
    change = {"    config.load_kube_config()\n": ""}
    use_controller(cluster, namespace, patched(SOLUTION, change, f"{namespace}-no-kubeconfig"))
