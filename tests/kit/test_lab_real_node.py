"""A lab's own real node: containerd, a kubelet and kube-proxy in a network namespace of their own, joined to a lab
control plane; it runs real containers, and ``remove()`` leaves nothing, while the book's real node is untouched."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from threeplanes.kit import lab_planes
from threeplanes.kit.control_plane import (
    component_binary,
    on_real_node,
    real_node_processes,
    real_node_runtime_endpoint,
)
from threeplanes.kit.namespaces import lab_namespace
from threeplanes.kit.wait import is_ready
from threeplanes.provision import processes
from threeplanes.provision.realnode import labnode, network
from threeplanes.provision.realnode.configs import CGROUP_ROOT
from threeplanes.versions import pinned

pytestmark = pytest.mark.cluster
AGNHOST = pinned().images["web"]
# The book node's own churn in the host's tables: its kube-proxy's and CNI's chains and the jumps to them.
CHURN = re.compile(r"KUBE-|CNI-")


def host_tables() -> list[str]:
    """The host's iptables rules and chains without counters, minus what the book node changes all the time."""
    text = processes.run(["iptables-save"], timeout=30, capture_output=True).stdout
    lines = [re.sub(r"\[\d+:\d+\]", "", line) for line in text.splitlines() if not line.startswith("#")]
    return [line for line in lines if not CHURN.search(line)]


def running_with(text: str) -> list[int]:
    return [p.pid for p in psutil.process_iter(["cmdline"]) if text in " ".join(p.info["cmdline"] or [])]


def book_node() -> dict[str, int]:
    return {p.name: p.pid for p in real_node_processes() if p.running}


def cgroups_of(cgroup_root: str) -> list[Path]:
    return [
        g / cgroup_root.strip("/") for g in Path("/sys/fs/cgroup").iterdir() if (g / cgroup_root.strip("/")).exists()
    ]


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"{what} within {timeout:g} s")


def test_a_lab_real_node_runs_containers_and_remove_leaves_nothing(live_cluster) -> None:
    book_before, tables_before = book_node(), host_tables()
    assert book_before, "the book's real node is not running"
    own = lab_planes.lab_control_plane("tp-test-real-node", real_node=True)
    node = own.real_node
    try:
        cluster = own.cluster
        found = cluster.core.read_node(node.name)
        addresses = {a.type: a.address for a in found.status.addresses}
        assert addresses["InternalIP"] == node.address and node.address.startswith("10.246.")
        assert found.status.node_info.container_runtime_version.startswith("containerd://")

        namespace = lab_namespace(cluster, "tp-test-real-node")
        server = {"name": "web", "image": AGNHOST, "args": ["netexec", "--http-port=8080"]}
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "web", "labels": {"app": "web"}},
            "spec": on_real_node({"containers": [server], "terminationGracePeriodSeconds": 1}),
        }
        cluster.core.create_namespaced_pod(namespace, pod)
        ready = wait_for(
            lambda: next((p for p in [cluster.core.read_namespaced_pod("web", namespace)] if is_ready(p)), None),
            120,
            "the pod web did not become Ready on the lab node",
        )
        assert ready.spec.node_name == node.name
        assert ready.status.container_statuses[0].container_id.startswith("containerd://")
        prefix = node.pod_cidr.rsplit(".", 1)[0] + "."
        assert ready.status.pod_ip.startswith(prefix), (ready.status.pod_ip, node.pod_cidr)

        # The pod answers from inside the node's network namespace; the book node's runtime never saw it.
        # The pod has no readiness probe: it is Ready once its container started, a moment before the server listens.
        pod_url = f"http://{ready.status.pod_ip}:8080/hostname"
        wait_for(
            lambda: node.run_in_netns(["curl", "-s", "-m", "3", pod_url]).stdout == "web",
            30,
            f"the pod web did not answer at {pod_url} inside the lab node's namespace",
        )
        crictl = str(component_binary("crictl"))
        own_pods = processes.run(
            [crictl, "--runtime-endpoint", node.runtime_endpoint, "pods", "-q", "--name", "web"],
            timeout=30,
            capture_output=True,
        ).stdout.split()
        book_pods = processes.run(
            [crictl, "--runtime-endpoint", real_node_runtime_endpoint(), "pods", "-q"], timeout=30, capture_output=True
        ).stdout.split()
        assert len(own_pods) == 1 and own_pods[0] not in book_pods

        # kube-proxy writes the Service's rules into the node's namespace, not the host's.
        service = {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web"},
            "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]},
        }
        cluster_ip = cluster.core.create_namespaced_service(namespace, service).spec.cluster_ip
        url = f"http://{cluster_ip}/hostname"
        wait_for(
            lambda: node.run_in_netns(["curl", "-s", "-m", "3", url]).stdout == "web",
            60,
            f"the Service's address {cluster_ip} did not answer inside the lab node's namespace",
        )
        inside = node.run_in_netns(["iptables-save", "-t", "nat"]).stdout
        assert f"{namespace}/web" in inside
        host = processes.run(["iptables-save", "-t", "nat"], timeout=30, capture_output=True).stdout
        assert f"{namespace}/web" not in host
        assert not any(node.address in line or prefix in line for line in host_tables())
    finally:
        stopped = own.remove()

    assert {"stopped lab-real-worker's kubelet", "stopped lab-real-worker's containerd"} <= set(stopped), stopped
    socket = str(node.layout.containerd_socket)
    assert not any(p.running for p in processes.recorded(node.layout.pids))
    assert running_with(socket) == [], "a process naming the lab node's socket was left"
    netns = processes.run(["ip", "netns", "list"], timeout=10, capture_output=True).stdout.split()
    assert node.netns not in netns
    veth = processes.run(["ip", "link", "show", f"{node.netns}h"], timeout=10, capture_output=True, check=False)
    assert veth.returncode != 0
    assert network.mounts_under(node.folder) == [] and network.mounts_under(node.layout.short) == []
    assert cgroups_of(node.spec.cgroup_root) == [] and node.spec.cgroup_root != CGROUP_ROOT
    assert not node.folder.exists() and not node.layout.short.exists()
    assert host_tables() == tables_before, "the host's iptables changed outside the book node's own chains"
    assert book_node() == book_before, "the book's real node was touched"


def test_a_lab_node_refuses_a_plane_without_the_flags_it_needs(live_cluster) -> None:
    own = lab_planes.lab_control_plane("tp-test-real-node")
    try:
        with pytest.raises(Exception, match="real_node=True"):
            own.add_real_node()
        with pytest.raises(Exception, match="no real node"):
            own.real_node  # noqa: B018 - the property raises
    finally:
        own.remove()
    assert not list(lab_planes.nodes_root().glob(f"*/{own.folder.name}-*"))


def test_a_lab_node_stops_and_starts_only_its_agents() -> None:
    with pytest.raises(Exception, match="kubelet or kube-proxy"):
        labnode.LabNode("x", Path("/nonexistent"), 1, True, Path("/nonexistent"), {}).stop_component("containerd")


START = """
import sys, time
from threeplanes.kit.lab_planes import lab_control_plane
own = lab_control_plane("tp-test-real-node", real_node=True, kube_proxy=False)
print(own.real_node.folder, own.real_node.netns, flush=True)
if sys.argv[1] == "exit":
    sys.exit(0)
time.sleep(600)
"""


def started_in_a_child(how: str) -> tuple[subprocess.Popen, Path, str]:
    child = subprocess.Popen([sys.executable, "-c", START, how], stdout=subprocess.PIPE, text=True)
    folder, netns = (child.stdout.readline().split() + ["", ""])[:2]
    assert folder, "the child did not start its lab node"
    return child, Path(folder), netns


def namespaces() -> list[str]:
    return processes.run(["ip", "netns", "list"], timeout=10, capture_output=True).stdout.split()


def test_a_lab_node_goes_when_its_process_exits_and_a_killed_runs_node_is_cleared(live_cluster) -> None:
    exits, exit_folder, exit_netns = started_in_a_child("exit")
    assert exits.wait(timeout=120) == 0
    # Checked before the next node starts: a namespace's number is free again once its node is gone.
    assert not exit_folder.exists() and exit_netns not in namespaces()
    killed, kill_folder, kill_netns = started_in_a_child("sleep")
    began = time.time() - 300
    killed.send_signal(signal.SIGKILL)  # no exit code runs: the node's processes, namespace and folders stay
    killed.wait(timeout=10)
    recorded = processes.recorded(kill_folder / "pids")
    assert {p.name for p in recorded if p.running} == {"containerd", "kubelet"}
    left = lab_planes.left_by_gone_planes(started_after=began)
    assert f"network namespace {kill_netns}" in left and any("(kubelet)" in item for item in left), left
    cleared = lab_planes.clear_gone_planes()
    assert any("kubelet" in item for item in cleared), cleared
    assert not kill_folder.exists() and kill_netns not in namespaces()
    assert not any(p.running for p in recorded)
    assert not any(str(kill_folder.parent) in item for item in lab_planes.left_by_gone_planes(started_after=began))
