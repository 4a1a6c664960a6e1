"""Two ``cluster up`` / ``cluster down`` cycles leave nothing of the real node behind.

This restarts the cluster named by ``$THREEPLANES_CACHE``: run it alone, against a cluster of your
own (``pytest -m lifecycle``), never while others use the cluster.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from threeplanes.kit.connect import connect
from threeplanes.provision import paths
from threeplanes.provision.realnode import configs, network, on_real_node, real_node_is_ready
from threeplanes.versions import pinned

pytestmark = [pytest.mark.cluster, pytest.mark.lifecycle]
NODE_PROCESSES = {"containerd", "containerd-shim-runc-v2", "kubelet", "kube-proxy", "coredns", "pause", "agnhost"}


def cli(*args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "threeplanes", "cluster", *args], capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, f"cluster {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


def leftovers() -> dict[str, list[str]]:
    """Everything of the node that should be gone once the cluster is down."""
    root = paths.cache_root()
    found: dict[str, list[str]] = {}
    # A zombie has ended and holds nothing; init reaps it when it gets to it (here, up to a second or two later).
    found["processes"] = [
        f"{p.info['name']} ({p.pid})"
        for p in psutil.process_iter(["name", "cmdline", "status"])
        if p.info["status"] != psutil.STATUS_ZOMBIE
        and (p.info["name"] in NODE_PROCESSES or str(root) in " ".join(p.info["cmdline"] or []))
    ]
    found["mounts"] = network.mounts_under(root)
    links = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True, timeout=10).stdout
    found["interfaces"] = [line.split(":")[1].strip() for line in links.splitlines() if configs.BRIDGE in line]
    found["iptables chains"] = [f"{t}/{c}" for t, chains in network.owned_chains().items() for c in chains]
    found["cgroups"] = [str(p) for p in Path("/sys/fs/cgroup").glob(f"*/{configs.CGROUP_ROOT.strip('/')}")]
    layout = configs.Layout.default()
    found["state"] = [str(p) for p in layout.root.glob("*") if p != layout.logs] if layout.root.exists() else []
    return {kind: items for kind, items in found.items() if items}


def test_two_up_down_cycles_leave_nothing_behind() -> None:
    cli("down")
    assert leftovers() == {}, "the machine was not clean before the first cycle"
    for cycle in (1, 2):
        up = cli("up", "--backend", "local")
        assert "no real node" not in up.stderr, up.stderr
        cluster = connect(paths.cache_root() / "kubeconfig")
        assert real_node_is_ready(cluster.core), f"cycle {cycle}: the real node is not Ready"
        assert "real" in cli("status").stdout
        # A running pod gives the node a sandbox, a veth, a netns, mounts and CNI rules to remove.
        body = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "left-running"},
            "spec": on_real_node(
                {"containers": [{"name": "c", "image": pinned().images["busybox"], "command": ["sleep", "600"]}]}
            ),
        }
        cluster.core.create_namespaced_pod("default", body)
        deadline = time.monotonic() + 60
        while cluster.core.read_namespaced_pod("left-running", "default").status.phase != "Running":
            assert time.monotonic() < deadline, "the pod did not start on the real node"
            time.sleep(0.5)
        assert network.mounts_under(paths.cache_root()), "a running pod should have mounts under the node's state"
        cli("down")
        assert leftovers() == {}, f"cycle {cycle} left these behind"
