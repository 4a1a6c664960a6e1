"""Wrong: no encryption configuration; Secrets reach etcd in the clear (base64 is no encryption)."""

from pathlib import Path

from threeplanes.system.assembly import use_control_plane
from threeplanes.system.controllers import patched

SOLUTION = Path(__file__).parents[1] / "solution.py"


def apply(cluster, namespace: str) -> None:
    changes = {'            "encryption-provider-config": encryption_config(folder),\n': ""}
    use_control_plane(cluster, namespace, patched(SOLUTION, changes, f"{namespace}-no-encryption"))
