"""Wrong: no encryption configuration; Secrets reach etcd in the clear (base64 is no encryption)."""

from pathlib import Path

from threeplanes.checking.programs import hand_in, patched

SOLUTION = Path(__file__).parents[1] / "solution.py"


def apply(cluster, namespace: str) -> None:
    changes = {'            "encryption-provider-config": encryption_config(folder),\n': ""}
    hand_in(cluster, namespace, patched(SOLUTION, changes), "my_control_plane.py")
