"""The reference fix of fix-etcd-quorum: the two lost members started again on their own data, with the command
lines their service manager uses; they catch up with the survivor, and the three hold a quorum again.

From a terminal, with MISSION set as the page says:

    for m in m1 m2; do setsid "$MISSION/etcd/$m.sh" >> "$MISSION/etcd/logs/$m.log" 2>&1 < /dev/null & done
"""

from __future__ import annotations

import subprocess
from pathlib import Path


def start(folder: Path, member: str) -> None:
    """``setsid <member>.sh >> logs/<member>.log 2>&1 &``: the member outlives this process."""
    log = open(folder / "logs" / f"{member}.log", "ab")  # noqa: SIM115 - the member keeps it open
    subprocess.Popen(  # noqa: S603 - the mission's own script
        ["/bin/sh", str(folder / f"{member}.sh")],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def apply(book, namespace: str) -> None:
    folder = Path(book.core.read_namespaced_config_map("mission", namespace).data["etcd-folder"])
    for member in ("m1", "m2"):
        start(folder, member)
