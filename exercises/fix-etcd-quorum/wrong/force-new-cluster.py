"""A fix that hides the symptom: the survivor, m0, started again with --force-new-cluster. It makes itself a
cluster of one member, which writes: the API server works again, and the next lost machine stops it, since one
member tolerates no loss. (And m1 and m2, if started again, no longer belong to it.)

From a terminal:
    kill $(pgrep -f -- "--name=m0")        # only the mission's m0: check with pgrep -af first
    setsid "$MISSION/etcd/m0.sh" --force-new-cluster >> "$MISSION/etcd/logs/m0.log" 2>&1 < /dev/null &
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from threeplanes.checking import missions

HERE = Path(__file__).resolve().parents[1]


def apply(book, namespace: str) -> None:
    plane = missions.load_part(HERE).MissionPlane(namespace)
    plane.kill_member("m0")
    folder = plane.etcd_folder
    log = open(folder / "logs" / "m0.log", "ab")  # noqa: SIM115 - the member keeps it open
    subprocess.Popen(  # noqa: S603 - the mission's own script
        ["/bin/sh", str(folder / "m0.sh"), "--force-new-cluster"],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
