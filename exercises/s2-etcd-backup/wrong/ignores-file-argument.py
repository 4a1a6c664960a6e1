"""Wrong: restore reads a snapshot of a fixed name, snapshot.db in the current folder, instead of the FILE it is
given."""

from pathlib import Path

from threeplanes.checking.programs import hand_in, patched

SOLUTION = Path(__file__).parents[1] / "solution.py"


def apply(cluster, namespace: str) -> None:
    changes = {'"snapshot", "restore", file,': '"snapshot", "restore", "snapshot.db",'}
    hand_in(cluster, namespace, patched(SOLUTION, changes), "my_backup.py")
