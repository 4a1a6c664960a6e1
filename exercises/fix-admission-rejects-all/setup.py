"""Setup of the fix-admission-rejects-all mission: a control plane of the mission's own whose admission policy
refuses every ordinary pod of the namespace shop.

It starts the plane for the reader's namespace (``checker.MissionPlane``: etcd, the API server, the controller
manager, the scheduler and kwok, with one simulated node ``worker-a``), makes the namespace ``shop``, the
security team's ValidatingAdmissionPolicy ``no-privileged-pods`` (its expression reads
``c.securityContext.privileged`` unguarded) and its binding to ``shop``, waits until the policy refuses an
ordinary pod, then creates the Deployment ``web`` (two replicas), whose ReplicaSet cannot create a pod. The
ConfigMap ``mission`` in the reader's namespace of the book's cluster names the mission's kubeconfig. Running the
setup again starts the mission over; mission planes whose namespace is gone are removed first.
"""

from __future__ import annotations

import time
from pathlib import Path

from kubernetes import client

from threeplanes.checking import missions
from threeplanes.errors import LabError


def apply(book, namespace: str) -> None:
    m = missions.load_part(Path(__file__).parent)
    missions.clear_gone_mission_planes(book, m.MissionPlane)
    plane = m.MissionPlane(namespace)
    cluster = plane.start()
    missions.make_namespace(cluster, m.SHOP)
    admission = client.AdmissionregistrationV1Api(cluster.api_client)
    admission.create_validating_admission_policy(m.policy())
    admission.create_validating_admission_policy_binding(m.binding())
    deadline = time.monotonic() + 30
    while m.admit(cluster, m.trial_pod("plain")) is None:  # the API server loads policies a moment later
        if time.monotonic() > deadline:
            raise LabError(f"the policy {m.POLICY} did not take effect within 30 s")
        time.sleep(0.5)
    labels = {"app": m.WEB}
    cluster.apps.create_namespaced_deployment(
        m.SHOP,
        {
            "metadata": {"name": m.WEB, "labels": labels},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": labels},
                "template": {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "web", "image": "web"}]}},
            },
        },
    )
    data = {"folder": str(plane.folder), "kubeconfig": str(plane.kubeconfig)}
    missions.record_mission(book, namespace, data)
    print(f"The mission's control plane runs; its kubeconfig: {plane.kubeconfig}")
