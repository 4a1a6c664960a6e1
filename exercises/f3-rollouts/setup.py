"""Setup of the f3-rollouts exercise: the Deployment ``shop``, stuck on a broken third release.

Release 1.0 (revision 1) and release 1.1 (revision 2) roll out fine. Release 1.2 (revision 3)
turns on a new checkout (``CHECKOUT=v2``) and asks for 512Gi of memory per pod where 512Mi was
meant: no node has that much, its pods stay Pending, and the rollout stops halfway. The pods run
on the real node, so the checker can look inside them. Running the setup again deletes ``shop``
and starts over.
"""

from __future__ import annotations

from kubernetes import client

from threeplanes.kit.control_plane import on_real_node
from threeplanes.kit.wait import named, wait_for, wait_for_gone, wait_for_rollout
from threeplanes.versions import pinned

NAME = "shop"
REPLICAS = 4
CHANGE_CAUSE = "kubernetes.io/change-cause"
REVISION = "deployment.kubernetes.io/revision"


def deployment(version: str = "1.0", memory: str = "128Mi") -> dict:
    labels = {"app": NAME}
    container = {
        "name": NAME,
        "image": pinned().images["web"],
        "args": ["netexec"],
        "env": [{"name": "APP_VERSION", "value": version}],
        "resources": {"requests": {"cpu": "50m", "memory": memory}},
    }
    pod = {"terminationGracePeriodSeconds": 1, "containers": [container]}
    spec = {
        "replicas": REPLICAS,
        "progressDeadlineSeconds": 20,
        "selector": {"matchLabels": labels},
        "template": {"metadata": {"labels": labels}, "spec": on_real_node(pod)},
    }
    metadata = {"name": NAME, "annotations": {CHANGE_CAUSE: f"release {version}"}}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": metadata, "spec": spec}


def release(version: str, memory: str, env: dict[str, str] | None = None) -> dict:
    """The patch that ships a release: a new pod template, and the reason in the history."""
    container = {
        "name": NAME,
        "env": [{"name": "APP_VERSION", "value": version}, *({"name": k, "value": v} for k, v in (env or {}).items())],
        "resources": {"requests": {"memory": memory}},
    }
    return {
        "metadata": {"annotations": {CHANGE_CAUSE: f"release {version}"}},
        "spec": {"template": {"spec": {"containers": [container]}}},
    }


def start_over(cluster, namespace: str) -> None:
    """Delete ``shop`` (and, first, its ReplicaSets and pods) if an earlier attempt left it."""
    try:
        cluster.apps.delete_namespaced_deployment(NAME, namespace, propagation_policy="Foreground")
    except client.ApiException as error:
        if error.status != 404:
            raise
    wait_for_gone(cluster.apps.list_namespaced_deployment, NAME, what=f"Deployment {NAME}", namespace=namespace)


def apply(cluster, namespace: str) -> None:
    """Ship releases 1.0 and 1.1, wait for each, then ship the broken 1.2."""
    start_over(cluster, namespace)
    cluster.apps.create_namespaced_deployment(namespace, deployment())
    wait_for_rollout(cluster, namespace, NAME, timeout=60)
    cluster.apps.patch_namespaced_deployment(NAME, namespace, release("1.1", "128Mi"))
    wait_for_rollout(cluster, namespace, NAME, timeout=60)
    cluster.apps.patch_namespaced_deployment(NAME, namespace, release("1.2", "512Gi", {"CHECKOUT": "v2"}))
    wait_for_revision(cluster, namespace, 3)


def wait_for_revision(cluster, namespace: str, number: int) -> None:
    """Wait until the Deployment controller has made the ReplicaSet of revision ``number``.

    Until then the history ends at the revision before, and ``kubectl rollout undo`` would go
    back from there: to release 1.0 instead of 1.1.
    """

    def revision(found) -> str:
        return (found[0].metadata.annotations or {}).get(REVISION, "none") if found else "no Deployment"

    wait_for(
        cluster.apps.list_namespaced_deployment,
        lambda found: revision(found) == str(number),
        what=f"Deployment {NAME} to reach revision {number}",
        describe=lambda found: f"revision {revision(found)}",
        timeout=60,
        namespace=namespace,
        **named(NAME),
    )
