"""A right fix written another way: m1 started again on its data (a quorum, two of three), then m2 replaced by a
fresh member, m3, with an empty data directory: removed from the cluster with etcdctl member remove, m3 added with
etcdctl member add, and started with --initial-cluster-state=existing, so it joins and receives the data."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from threeplanes.checking import missions
from threeplanes.kit.control_plane import free_ports
from threeplanes.system.etcd import EtcdctlFailed

HERE = Path(__file__).resolve().parents[1]
solution = missions.load_part(HERE, "solution")


def apply(book, namespace: str) -> None:
    plane = missions.load_part(HERE).MissionPlane(namespace)
    solution.start(plane.etcd_folder, "m1")
    ctl = plane.etcdctl(timeout=3)
    deadline = time.monotonic() + 30
    while True:
        try:
            ctl.run("put", "/shop/quorum", "back")
            break
        except EtcdctlFailed:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    members = json.loads(ctl.run("member", "list", "-w", "json"))["members"]
    lost = next(m for m in members if m.get("name") == "m2")
    ctl.run("member", "remove", format(lost["ID"], "x"))
    client_port, peer_port = free_ports(2)
    peer = f"http://127.0.0.1:{peer_port}"
    # etcd adds a voting member only once the members that run have been connected for a few seconds (it
    # answers "unhealthy cluster" before): m1 has just come back.
    deadline = time.monotonic() + 30
    while True:
        try:
            added = ctl.run("member", "add", "m3", f"--peer-urls={peer}")
            break
        except EtcdctlFailed:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)
    cluster = next(
        line.split("=", 1)[1].strip('"') for line in added.splitlines() if line.startswith("ETCD_INITIAL_CLUSTER=")
    )
    client = f"http://127.0.0.1:{client_port}"
    flags = {
        "name": "m3",
        "data-dir": str(plane.etcd_folder / "m3"),
        "listen-client-urls": client,
        "advertise-client-urls": client,
        "listen-peer-urls": peer,
        "initial-advertise-peer-urls": peer,
        "initial-cluster": cluster,
        "initial-cluster-state": "existing",
    }
    log = open(plane.etcd_folder / "logs" / "m3.log", "ab")  # noqa: SIM115 - the member keeps it open
    subprocess.Popen(  # noqa: S603 - the mission's own etcd
        [str(plane.etcd_binary), *(f"--{k}={v}" for k, v in flags.items())],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
