"""Setup of the fix-scheduler-down mission: a control plane of the mission's own whose scheduler will not start.

It starts the plane for the reader's namespace (``checker.MissionPlane``: etcd, the API server, the controller
manager, the scheduler and kwok, with two simulated nodes of 4 CPUs and 16 GiB, ``worker-a`` and
``worker-b``), its scheduler reading ``kube-scheduler.yaml`` in the mission's folder. In its namespace
``shop`` it places the pod ``batch`` on ``worker-a`` by hand (half the node), then breaks the scheduler's file
(NodeResourcesFit's scoring strategy ``MostRequested``, which does not exist), starts the scheduler again, waits
until it has exited, and creates the Deployment ``web`` (two replicas), whose pods stay Pending. Last, the
ConfigMap ``mission`` in the reader's namespace of the book's cluster names the mission's files. Running the
setup again starts the mission over; mission planes whose namespace is gone are removed first.
"""

from __future__ import annotations

import time
from pathlib import Path

from threeplanes.checking import missions
from threeplanes.errors import LabError


def apply(book, namespace: str) -> None:
    m = missions.load_part(Path(__file__).parent)
    missions.clear_gone_mission_planes(book, m.MissionPlane)
    plane = m.MissionPlane(namespace)
    cluster = plane.start()
    missions.make_namespace(cluster, m.SHOP)
    batch = {"cpu": "2", "memory": "8Gi"}
    cluster.core.create_namespaced_pod(
        m.SHOP,
        {
            "metadata": {"name": "batch", "labels": {"app": "batch"}},
            "spec": {
                "nodeName": m.FULL,
                "containers": [{"name": "batch", "image": "batch", "resources": {"requests": batch}}],
            },
        },
    )
    plane.config.write_text(m.scheduler_config(plane.component_kubeconfig(), m.BROKEN_STRATEGY))
    started, _ = plane.start_scheduler()
    deadline = time.monotonic() + 30
    while started.running:
        if time.monotonic() > deadline:
            raise LabError(f"the mission's scheduler did not exit with the broken {plane.config}")
        time.sleep(0.3)
    labels = {"app": m.WEB}
    web = {"cpu": "250m", "memory": "1Gi"}
    cluster.apps.create_namespaced_deployment(
        m.SHOP,
        {
            "metadata": {"name": m.WEB, "labels": labels},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {"containers": [{"name": "web", "image": "web", "resources": {"requests": web}}]},
                },
            },
        },
    )
    files = {
        "folder": str(plane.folder),
        "kubeconfig": str(plane.kubeconfig),
        "scheduler-config": str(plane.config),
        "scheduler-log": str(plane.logs / "kube-scheduler.log"),
    }
    missions.record_mission(book, namespace, files)
    print(f"The mission's control plane runs; its files are in {plane.folder} (kubeconfig: {plane.kubeconfig}).")
