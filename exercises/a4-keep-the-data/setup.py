"""Setup of the a4-keep-the-data exercise: the app notes, whose journal goes with its pod, and two volumes.

The Deployment ``notes`` runs the journal app of the lab A4 (``threeplanes.barriers.state``) on the
real node, with nothing mounted at ``/var/lib/notes``: its journal lives in the container's own file
system and is deleted with the pod. The cluster has no storage provisioner, so the setup offers two
volumes, directories of the real node (``hostPath``), each reserved for one claim of the reader's
namespace (``spec.claimRef``): ``data`` (a claim the reader makes) and ``data-notes-0`` (the claim a
StatefulSet ``notes`` with a claim template ``data`` makes for its pod ``notes-0``). They are named
``keep-<namespace>-<claim>`` and labelled, so that ``teardown.py`` deletes them. Running the setup
again starts the app over and reserves again a volume whose claim was deleted.
"""

from __future__ import annotations

from typing import Any

from kubernetes import client

from threeplanes.barriers.state import APP, app_pod_spec
from threeplanes.functional.storage import persistent_volume, wait_for_volume
from threeplanes.kit.control_plane import REAL_NODE_NAME
from threeplanes.kit.labels import FOR_NAMESPACE, owned_labels
from threeplanes.kit.wait import wait_for_gone, wait_for_rollout
from threeplanes.versions import pinned

OWNER = "exercise-a4-keep-the-data"
CLAIMS = ("data", f"data-{APP}-0")
SIZE = "1Gi"


def volume_name(namespace: str, claim: str) -> str:
    return f"keep-{namespace}-{claim}"


def deployment() -> dict[str, Any]:
    template = {"metadata": {"labels": {"app": APP}}, "spec": app_pod_spec(pinned().images["busybox"])}
    spec = {"replicas": 1, "selector": {"matchLabels": {"app": APP}}, "template": template}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": APP}, "spec": spec}


def offer_volume(cluster: Any, namespace: str, claim: str) -> None:
    """Create the volume reserved for ``claim`` (or reserve again one left Released), and wait until it is free."""
    name = volume_name(namespace, claim)
    labels = owned_labels(OWNER, **{FOR_NAMESPACE: namespace})
    reservation = {"namespace": namespace, "name": claim}
    body = persistent_volume(name, labels, SIZE, ["ReadWriteOnce"], node=REAL_NODE_NAME)
    body["spec"]["claimRef"] = reservation
    try:
        cluster.core.create_persistent_volume(body)
    except client.ApiException as error:
        if error.status != 409:
            raise
        if cluster.core.read_persistent_volume(name).status.phase != "Released":
            return  # Available, or Bound to the reader's claim
        again = {**reservation, "uid": None, "resourceVersion": None}
        cluster.core.patch_persistent_volume(name, {"spec": {"claimRef": again}})
    wait_for_volume(cluster, name, "Available", timeout=30)


def apply(cluster: Any, namespace: str) -> None:
    for claim in CLAIMS:
        offer_volume(cluster, namespace, claim)
    try:
        cluster.apps.delete_namespaced_deployment(APP, namespace, propagation_policy="Foreground")
    except client.ApiException as error:
        if error.status != 404:
            raise
    wait_for_gone(cluster.apps.list_namespaced_deployment, APP, what=f"Deployment {APP}", namespace=namespace)
    cluster.apps.create_namespaced_deployment(namespace, deployment())
    wait_for_rollout(cluster, namespace, APP, timeout=120)
