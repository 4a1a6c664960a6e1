"""Wrong: the client is never told which cluster to reach (no config.load_kube_config()), so the first call fails."""

from pathlib import Path

from threeplanes.checking.programs import hand_in, patched

SOLUTION = Path(__file__).parents[1] / "solution.py"


def apply(cluster, namespace: str) -> None:
    change = {"    config.load_kube_config()\n": ""}
    hand_in(cluster, namespace, patched(SOLUTION, change), "my_controller.py")
