"""Setup of the fix-kubelet-down mission: a control plane of the mission's own whose new real node's kubelet will
not start.

It starts the plane for the reader's namespace (``checker.MissionPlane``: etcd, the API server, the controller
manager, the scheduler and kwok, with the simulated node ``worker-a``) and joins its real node ``worker-new``
(containerd and the kubelet, their files in the folder ``node`` of the mission's). In the namespace ``shop``
there it breaks the kubelet's configuration file, ``node/kubelet.yaml``: its ``containerRuntimeEndpoint`` names
``<socket folder>/containerd/containerd.sock``, one folder too deep, where no containerd listens. It starts the
kubelet again, waits until it has exited, creates the Deployment ``web`` (one pod for the new node, a real
container that answers HTTP), whose pod is bound there and stays Pending, and waits for the node lifecycle
controller to mark the node NotReady (20 s after its last heartbeat, on this plane) and taint it: what it
saw is kept in ``outage.json``, for the checker to tell taints taken off and put back. Last, the ConfigMap
``mission`` in the reader's namespace of the book's cluster names the mission's files. Running the setup again
starts the mission over; mission planes whose namespace is gone are removed first.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from threeplanes.checking import missions
from threeplanes.errors import LabError
from threeplanes.kit.wait import wait_for


def broken_endpoint(right: str) -> str:
    """The runtime endpoint of the broken file: the right socket's path with one folder too many."""
    folder, _, socket = right.rpartition("/")
    return f"{folder}/containerd/{socket}"


def apply(book, namespace: str) -> None:
    m = missions.load_part(Path(__file__).parent)
    missions.clear_gone_mission_planes(book, m.MissionPlane)
    plane = m.MissionPlane(namespace)
    cluster = plane.start()
    missions.make_namespace(cluster, m.SHOP)
    node = plane.node()
    right = f"unix://{node.layout.containerd_socket}"
    text = plane.kubelet_config.read_text()
    if right not in text:
        raise LabError(f"{plane.kubelet_config} does not name {right}")
    plane.kubelet_config.write_text(text.replace(right, broken_endpoint(right)))
    node.stop_component("kubelet")
    node.start_component("kubelet")
    deadline = time.monotonic() + 60
    while node.component_running("kubelet"):
        if time.monotonic() > deadline:
            raise LabError(f"the mission's kubelet did not exit with the broken {plane.kubelet_config}")
        time.sleep(0.3)
    web = m.mission_web()
    cluster.apps.create_namespaced_deployment(m.SHOP, web)
    wait_for(
        cluster.core.list_namespaced_pod,
        lambda pods: any(p.spec.node_name == m.NEW_NODE for p in pods),
        what=f"the pod of {m.WEB} bound to {m.NEW_NODE}",
        describe=lambda pods: ", ".join(f"{p.metadata.name} on {p.spec.node_name}" for p in pods) or "no pod",
        timeout=30,
        namespace=m.SHOP,
        label_selector=f"app={m.WEB}",
    )
    deadline = time.monotonic() + 60
    while (seen := m.outage(cluster)) is None:
        if time.monotonic() > deadline:
            raise LabError(f"the node lifecycle controller did not mark {m.NEW_NODE} NotReady within 60 s")
        time.sleep(0.5)
    plane.outage_file.write_text(json.dumps(seen))
    files = {
        "folder": str(plane.folder),
        "kubeconfig": str(plane.kubeconfig),
        "node-folder": str(plane.node_folder),
        "kubelet-config": str(plane.kubelet_config),
        "kubelet-log": str(plane.kubelet_log),
    }
    missions.record_mission(book, namespace, files)
    print(f"The mission's control plane runs; its files are in {plane.folder} (kubeconfig: {plane.kubeconfig}).")
