"""Wrong: save writes every key and value as JSON (`etcdctl get "" --prefix -w json`); that is a listing, not a
snapshot, and etcdutl cannot restore it."""

from pathlib import Path

from threeplanes.checking.programs import hand_in, patched

SOLUTION = Path(__file__).parents[1] / "solution.py"


def apply(cluster, namespace: str) -> None:
    changes = {
        '    subprocess.run([etcdctl, f"--endpoints={endpoint}", "snapshot", "save", file], check=True)\n': (
            '    listing = [etcdctl, f"--endpoints={endpoint}", "get", "", "--prefix", "-w", "json"]\n'
            "    Path(file).write_bytes(subprocess.run(listing, check=True, capture_output=True).stdout)\n"
        )
    }
    hand_in(cluster, namespace, patched(SOLUTION, changes), "my_backup.py")
