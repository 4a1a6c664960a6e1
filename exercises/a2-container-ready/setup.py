"""Setup of the a2-container-ready exercise: tally's image on the real node, and tally deployed as it is.

The image ``localhost/threeplanes/tally:1.0`` is built on this machine and imported into the real
node's containerd (``threeplanes.barriers.containerise.build_image``; a second setup finds it and
imports nothing). A hostPath PersistentVolume on the real node, ``tally-state-<namespace>``, is
reserved for a claim ``tally-data`` of the reader's namespace (``spec.claimRef`` without a uid),
since the cluster has no storage provisioner. Then ``tally.yaml``, the starting manifest the page
shows, is applied: the Deployments ``tally`` and ``clock`` and the Service ``tally``; and the
checker's visitor pod is started (``containerise.visitor_pod``). The setup waits for tally's first
crash (its configuration file is missing). Running it again starts over.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kubernetes import client

from threeplanes.barriers import containerise as a2
from threeplanes.kit.kubectl import kubectl
from threeplanes.kit.labels import FOR_NAMESPACE, owned_labels
from threeplanes.kit.pods import live
from threeplanes.kit.wait import wait_for

OWNER = "exercise-a2-container-ready"
START = Path(__file__).parent / "tally.yaml"
CRASH_TIMEOUT = 90


def volume_name(namespace: str) -> str:
    return f"tally-state-{namespace}"


def offer_volume(cluster: Any, namespace: str) -> None:
    """Create the volume, or reserve a released one again for a new claim ``tally-data``."""
    name = volume_name(namespace)
    body = a2.state_volume(name, namespace, owned_labels(OWNER, **{FOR_NAMESPACE: namespace}))
    try:
        cluster.core.create_persistent_volume(body)
    except client.ApiException as error:
        if error.status != 409:
            raise
        if cluster.core.read_persistent_volume(name).status.phase == "Released":
            again = {"namespace": namespace, "name": a2.STATE_CLAIM, "uid": None, "resourceVersion": None}
            cluster.core.patch_persistent_volume(name, {"spec": {"claimRef": again}})


def apply(cluster: Any, namespace: str) -> None:
    a2.require_real_node(cluster)
    a2.build_image()
    offer_volume(cluster, namespace)
    kubectl(f"apply -n {namespace} -f {START}", cluster, show=False)
    if not cluster.core.list_namespaced_pod(namespace, field_selector=f"metadata.name={a2.VISITOR}").items:
        cluster.core.create_namespaced_pod(namespace, a2.visitor_pod())
    wait_for(
        cluster.core.list_namespaced_pod,
        lambda pods: any(a2.crashed(p) for p in live(pods)),
        what="the first crash of tally on the real node",
        describe=lambda pods: ", ".join(a2.describe_pod(p) for p in live(pods)) or "no pod",
        timeout=CRASH_TIMEOUT,
        namespace=namespace,
        label_selector="app=tally",
    )
