"""A lab's own control plane: started beside the book's cluster, connected, and gone without a trace
whether the lab removes it, its process exits, or its process is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from threeplanes.kit import lab_planes
from threeplanes.kit.control_plane import Local, Node
from threeplanes.provision import processes

pytestmark = pytest.mark.cluster

START = """
import sys, time
from threeplanes.kit.lab_planes import lab_control_plane
own = lab_control_plane("tp-test-plane")
print(own.folder, flush=True)
if sys.argv[1] == "exit":
    sys.exit(0)
time.sleep(600)
"""


def book_processes() -> dict[str, int]:
    return {p.name: p.pid for p in Local.book().processes() if p.running}


def started_in_a_child(how: str) -> tuple[subprocess.Popen, str]:
    child = subprocess.Popen([sys.executable, "-c", START, how], stdout=subprocess.PIPE, text=True)
    folder = child.stdout.readline().strip()
    assert folder, "the child did not start its control plane"
    return child, folder


def test_a_lab_plane_runs_beside_the_book_and_remove_leaves_nothing(live_cluster) -> None:
    book_before = book_processes()
    own = lab_planes.lab_control_plane("tp-test-plane", nodes=(Node("tp-lab-worker", zone="zone-a"),))
    try:
        assert own.cluster.control_plane is own.plane
        assert [n.metadata.name for n in own.cluster.core.list_node().items] == ["tp-lab-worker"]
        assert own.plane.stop_component("kube-scheduler") and not own.plane.component_running("kube-scheduler")
        assert own.plane.start_component("kube-scheduler") and own.plane.component_running("kube-scheduler")
        ports = processes.listening_ports(processes.running_from(own.folder))
        assert int(own.plane.flags("kube-apiserver")["secure-port"]) in ports
    finally:
        own.remove()
    assert processes.running_from(own.folder) == [] and not own.folder.exists()
    assert not any(processes.port_taken(port, host="127.0.0.1") for port in ports)
    assert book_processes() == book_before, "the book's cluster was touched"


def test_a_lab_plane_goes_when_its_process_exits() -> None:
    child, folder = started_in_a_child("exit")
    assert child.wait(timeout=60) == 0
    assert not os.path.exists(folder)
    assert processes.running_from(lab_planes.planes_root() / folder.split("/lab-planes/")[1]) == []


def test_a_killed_runs_plane_is_named_then_cleared() -> None:
    child, folder = started_in_a_child("sleep")
    began = time.time() - 120
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)
    left = lab_planes.left_by_gone_planes(started_after=began)
    assert any("kube-apiserver" in item for item in left), left
    cleared = lab_planes.clear_gone_planes()
    assert cleared and not os.path.exists(folder)
    assert lab_planes.left_by_gone_planes(started_after=began) == []
