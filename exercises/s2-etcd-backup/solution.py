"""A backup of etcd and its restore, with the pinned etcd tools.

Run it as the checker does:
    python my_backup.py save ENDPOINT FILE       a snapshot of the etcd at ENDPOINT, written to FILE
    python my_backup.py restore FILE DATA_DIR    FILE restored into DATA_DIR, a new data directory
"""

import subprocess
import sys
from pathlib import Path

from threeplanes.kit.control_plane import etcd_tool


def save(endpoint: str, file: str) -> None:
    """Ask the member at ``endpoint`` for its whole database; etcdctl writes FILE once it has all of it."""
    etcdctl = str(etcd_tool("etcdctl"))
    subprocess.run([etcdctl, f"--endpoints={endpoint}", "snapshot", "save", file], check=True)


def restore(file: str, data_dir: str) -> None:
    """Write a new data directory from FILE, offline. The revision is raised by a million and the revisions
    up to it are marked compacted, so that no client that kept a resourceVersion from before the restore
    is handed the same number with other contents."""
    etcdutl = str(etcd_tool("etcdutl"))
    command = [etcdutl, "snapshot", "restore", file, f"--data-dir={data_dir}"]
    subprocess.run([*command, "--bump-revision=1000000", "--mark-compacted"], check=True)


def apply(cluster, namespace: str) -> None:
    """For the book's tests: have the checker run this file (a reader annotates the namespace instead)."""
    from threeplanes.checking.programs import hand_in

    hand_in(cluster, namespace, Path(__file__), "my_backup.py")


if __name__ == "__main__":
    commands = {"save": save, "restore": restore}
    if len(sys.argv) != 4 or sys.argv[1] not in commands:
        sys.exit("usage: my_backup.py save ENDPOINT FILE | my_backup.py restore FILE DATA_DIR")
    commands[sys.argv[1]](sys.argv[2], sys.argv[3])
