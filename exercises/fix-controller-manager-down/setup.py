"""Setup of the fix-controller-manager-down mission: a control plane of the mission's own whose controller
manager cannot reach its API server.

It starts the plane for the reader's namespace (``checker.MissionPlane``: etcd, the API server, the controller
manager, the scheduler and kwok, with one simulated node ``worker-a``), the controller manager's kubeconfig
``kube-controller-manager.kubeconfig`` in the mission's folder. In its namespace ``shop`` it makes the
Deployment ``web`` of two replicas and waits for its two pods; then it breaks the controller manager's
kubeconfig (the server ``https://127.0.0.1:6443``, where nothing listens), starts the controller manager again
with it (it waits ten seconds for the API server, then exits), and scales ``web`` to 5. The ConfigMap
``mission`` in the reader's namespace of the book's cluster names the mission's files. Running the setup again
starts the mission over; mission planes whose namespace is gone are removed first.
"""

from __future__ import annotations

from pathlib import Path

from threeplanes.checking import missions
from threeplanes.kit.wait import wait_for


def apply(book, namespace: str) -> None:
    m = missions.load_part(Path(__file__).parent)
    missions.clear_gone_mission_planes(book, m.MissionPlane)
    plane = m.MissionPlane(namespace)
    cluster = plane.start()
    missions.make_namespace(cluster, m.SHOP)
    labels = {"app": m.WEB}
    container = {"name": "web", "image": "web", "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}
    cluster.apps.create_namespaced_deployment(
        m.SHOP,
        {
            "metadata": {"name": m.WEB, "labels": labels},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": labels},
                "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
            },
        },
    )
    wait_for(
        cluster.core.list_namespaced_pod,
        lambda pods: len(pods) == 2 and all(p.status.phase == "Running" for p in pods),
        what=f"the two pods of {m.WEB} running",
        describe=lambda pods: ", ".join(f"{p.metadata.name} {p.status.phase}" for p in pods) or "no pod",
        timeout=60,
        namespace=m.SHOP,
        label_selector=f"app={m.WEB}",
    )
    plane.break_kubeconfig()
    plane.start_manager()  # stops the one that works first
    cluster.apps.patch_namespaced_deployment_scale(m.WEB, m.SHOP, {"spec": {"replicas": m.REPLICAS}})
    data = {
        "folder": str(plane.folder),
        "kubeconfig": str(plane.kubeconfig),
        "controller-manager-kubeconfig": str(plane.component_kubeconfig),
        "controller-manager-log": str(plane.logs / f"{m.COMPONENT}.log"),
    }
    missions.record_mission(book, namespace, data)
    print(f"The mission's control plane runs; its files are in {plane.folder} (kubeconfig: {plane.kubeconfig}).")
