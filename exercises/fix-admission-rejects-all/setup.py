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

import importlib.util
import time
from pathlib import Path

from kubernetes import client

from threeplanes.errors import LabError
from threeplanes.kit.wait import wait_for


def _checker():
    spec = importlib.util.spec_from_file_location("fix_admission_checker", Path(__file__).parent / "checker.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def apply(book, namespace: str) -> None:
    m = _checker()
    m.clear_orphans(book)
    plane = m.MissionPlane(namespace)
    cluster = plane.start()
    cluster.core.create_namespace({"metadata": {"name": m.SHOP}})
    wait_for(
        cluster.core.list_namespaced_service_account,
        lambda accounts: any(a.metadata.name == "default" for a in accounts),
        what=f"the ServiceAccount default of the namespace {m.SHOP}",
        describe=lambda accounts: f"{len(accounts)} ServiceAccount(s)",
        timeout=60,
        namespace=m.SHOP,
    )
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
    body = client.V1ConfigMap(metadata=client.V1ObjectMeta(name=m.CONFIGMAP), data=data)
    try:
        book.core.create_namespaced_config_map(namespace, body)
    except client.ApiException as error:
        if error.status != 409:
            raise
        book.core.replace_namespaced_config_map(m.CONFIGMAP, namespace, body)
    print(f"The mission's control plane runs; its kubeconfig: {plane.kubeconfig}")
