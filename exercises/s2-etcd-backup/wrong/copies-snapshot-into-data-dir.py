"""Wrong: restore copies FILE to DATA_DIR/member/snap/db, where a data directory keeps its database. It is the
same kind of file, but without the log and the bookkeeping etcdutl writes for a fresh cluster, etcd started on it
skips its own first entries as already applied and never becomes ready."""

from pathlib import Path

from threeplanes.checking.programs import hand_in, patched

SOLUTION = Path(__file__).parents[1] / "solution.py"


def apply(cluster, namespace: str) -> None:
    changes = {
        '    etcdutl = str(etcd_tool("etcdutl"))\n': "",
        '    command = [etcdutl, "snapshot", "restore", file, f"--data-dir={data_dir}"]\n': (
            '    (Path(data_dir) / "member" / "snap").mkdir(parents=True)\n'
        ),
        '    subprocess.run([*command, "--bump-revision=1000000", "--mark-compacted"], check=True)\n': (
            '    shutil.copy(file, Path(data_dir) / "member" / "snap" / "db")\n'
        ),
        "import subprocess\n": "import shutil\nimport subprocess\n",
    }
    hand_in(cluster, namespace, patched(SOLUTION, changes), "my_backup.py")
