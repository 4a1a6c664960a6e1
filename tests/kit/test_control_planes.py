"""Two local control planes side by side, started by the test itself: other names, other working
folders, other ports, never the real node and never the book's cluster, which runs on untouched."""

from __future__ import annotations

import concurrent.futures
import time
from pathlib import Path

import psutil
import pytest
from kubernetes import client

from threeplanes.kit.control_plane import Local, Node, connect_to
from threeplanes.provision import processes

pytestmark = pytest.mark.cluster
START_TIMEOUT_S = 90


def book_processes() -> dict[str, int]:
    """The book's local cluster's running components (empty when it does not run here)."""
    return {p.name: p.pid for p in Local.book().processes() if p.running}


def listening(port: int) -> bool:
    return processes.port_taken(port, host="127.0.0.1")


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not (found := condition()):
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {timeout:g} s")
        time.sleep(0.2)
    return found


def test_two_local_control_planes_run_side_by_side_and_one_component_restarts(tmp_path: Path, live_cluster) -> None:
    book_before = book_processes()
    first = Local("tp-test-first", tmp_path / "first")
    second = Local("tp-test-second", tmp_path / "second", nodes=(Node("tp-test-worker", zone="zone-a"),))
    ports: list[int] = []
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            for started in [pool.submit(plane.up, START_TIMEOUT_S) for plane in (first, second)]:
                started.result()
        assert first.is_running(patience=0) and second.is_running(patience=0)
        apiservers = [plane.flags("kube-apiserver") for plane in (first, second)]
        ports = [int(flags["secure-port"]) for flags in apiservers]
        ports += [int(flags["etcd-servers"].rsplit(":", 1)[1]) for flags in apiservers]
        assert len(set(ports)) == 4 and all(listening(port) for port in ports), ports
        assert first.kubeconfig != second.kubeconfig and first.cluster_dir() != second.cluster_dir()
        assert "kube-scheduler" in second.components()

        on_second = connect_to(second)
        assert on_second.control_plane is second and on_second.backend == "local"
        assert [n.metadata.name for n in on_second.core.list_node().items] == ["tp-test-worker"]
        assert connect_to(first).core.list_node().items == []
        first_scheduler = next(p.pid for p in first.processes() if p.name == "kube-scheduler")

        second.restart_component("kube-scheduler")
        assert second.component_running("kube-scheduler")
        assert second.stop_component("kube-scheduler") is True
        assert not second.component_running("kube-scheduler")
        pod = client.V1Pod(
            metadata=client.V1ObjectMeta(name="waits-for-a-scheduler"),
            spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="example.invalid/none")]),
        )
        on_second.core.create_namespaced_pod("default", pod)
        assert second.start_component("kube-scheduler") is True
        scheduled = wait_for(
            lambda: on_second.core.read_namespaced_pod("waits-for-a-scheduler", "default").spec.node_name,
            60,
            "the pod created while the second plane's kube-scheduler was stopped being scheduled once it started",
        )
        assert scheduled == "tp-test-worker"
        # Its log is kwokctl's, with one line for each start since: the restart and the start.
        assert second.log("kube-scheduler").count(f"$ {second.component('kube-scheduler')['binary']}") == 2
        # The first plane's scheduler never noticed.
        assert next(p.pid for p in first.processes() if p.name == "kube-scheduler") == first_scheduler
    finally:
        stopped = [plane.down() for plane in (second, first)]

    assert all(stopped)  # each had processes to stop
    assert processes.running_from(tmp_path) == []
    assert not first.cluster_dir().exists() and not second.cluster_dir().exists()
    assert not first.kubeconfig.exists() and not second.kubeconfig.exists()
    assert not [port for port in ports if listening(port)]
    assert not [p for p in psutil.process_iter(["cmdline"]) if str(tmp_path) in " ".join(p.info["cmdline"] or [])]
    # The book's cluster, if it runs here, kept every process it had.
    assert book_processes() == book_before
