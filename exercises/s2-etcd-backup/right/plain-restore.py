"""Right, written another way: argparse with two sub-commands, and a restore without --bump-revision and
--mark-compacted. The restored cluster is the one of the snapshot all the same; what it gives up is the
guarantee the page explains, that no resourceVersion handed out before the restore comes back with other
contents."""

from threeplanes.checking.programs import hand_in

PROGRAM = """\
import argparse
import subprocess

from threeplanes.kit.control_plane import etcd_tool

parser = argparse.ArgumentParser(description="Back up etcd, and restore a backup.")
commands = parser.add_subparsers(dest="command", required=True)
save = commands.add_parser("save")
save.add_argument("endpoint")
save.add_argument("file")
restore = commands.add_parser("restore")
restore.add_argument("file")
restore.add_argument("data_dir")
args = parser.parse_args()

if args.command == "save":
    subprocess.check_call(
        [etcd_tool("etcdctl"), "--endpoints", args.endpoint, "--command-timeout=30s", "snapshot", "save", args.file]
    )
else:
    subprocess.check_call([etcd_tool("etcdutl"), "--data-dir", args.data_dir, "snapshot", "restore", args.file])
"""


def apply(cluster, namespace: str) -> None:
    hand_in(cluster, namespace, PROGRAM, "my_backup.py")
