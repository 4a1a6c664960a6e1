"""Wrong: save leaves out --endpoints, so etcdctl asks its default, 127.0.0.1:2379, not the etcd at ENDPOINT."""

from pathlib import Path

from threeplanes.checking.programs import hand_in, patched

SOLUTION = Path(__file__).parents[1] / "solution.py"


def apply(cluster, namespace: str) -> None:
    changes = {'[etcdctl, f"--endpoints={endpoint}", "snapshot", "save", file]': '[etcdctl, "snapshot", "save", file]'}
    hand_in(cluster, namespace, patched(SOLUTION, changes), "my_backup.py")
