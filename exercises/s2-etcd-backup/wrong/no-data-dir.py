"""Wrong: restore leaves out --data-dir; etcdutl restores into default.etcd in the current folder, and DATA_DIR
stays empty."""

from pathlib import Path

from threeplanes.checking.programs import hand_in, patched

SOLUTION = Path(__file__).parents[1] / "solution.py"


def apply(cluster, namespace: str) -> None:
    changes = {
        '[etcdutl, "snapshot", "restore", file, f"--data-dir={data_dir}"]': '[etcdutl, "snapshot", "restore", file]'
    }
    hand_in(cluster, namespace, patched(SOLUTION, changes), "my_backup.py")
