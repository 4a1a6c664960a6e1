"""Setup of the fix-crashloop-command mission: the shop's API, crashing on the real node, and a client.

``shop-api`` is agnhost's ``netexec`` HTTP server behind the Service ``shop-api`` (port 80 to the
container's port ``http``, 8080), two replicas on the real node. The break: the first word of the
container's ``args`` is ``net-exec``, a subcommand agnhost does not have, so the program prints
an error and exits 1 as soon as it starts, and the kubelet restarts it with a growing back-off.
``shop-client`` is a busybox pod on the real node that the checker sends its requests from.

The setup waits until every pod of ``shop-api`` has crashed once and notes their names on the
Deployment (``BROKEN_PODS``): a pod of the same ReplicaSet that is not among them was made after
one was deleted. Running the setup again starts the mission over.
"""

from __future__ import annotations

from typing import Any

from kubernetes import client

from threeplanes.checking.missions import client_pod
from threeplanes.errors import LabError, WaitTimeout
from threeplanes.kit.control_plane import on_real_node
from threeplanes.kit.pods import live
from threeplanes.kit.wait import wait_for, wait_for_gone
from threeplanes.versions import pinned

NAME = "shop-api"
CLIENT = "shop-client"
LABELS = {"app": NAME}
REPLICAS = 2
PORT = 8080
BROKEN_ARGS = ["net-exec", f"--http-port={PORT}"]
FIXED_ARGS = ["netexec", f"--http-port={PORT}"]
BROKEN_PODS = "threeplanes.io/broken-pods"  # on the Deployment: the pods the setup saw crash
CRASH_TIMEOUT = 90


def deployment(args: list[str] | None = None) -> dict:
    container = {
        "name": "api",
        "image": pinned().images["web"],
        "args": list(args or BROKEN_ARGS),
        "ports": [{"name": "http", "containerPort": PORT}],
    }
    spec = {"terminationGracePeriodSeconds": 1, "containers": [container]}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": NAME, "labels": LABELS},
        "spec": {
            "replicas": REPLICAS,
            "selector": {"matchLabels": LABELS},
            "template": {"metadata": {"labels": LABELS}, "spec": on_real_node(spec)},
        },
    }


def service() -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": NAME, "labels": LABELS},
        "spec": {"selector": LABELS, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]},
    }


def _ignore_missing(delete: Any) -> None:
    try:
        delete()
    except client.ApiException as error:
        if error.status != 404:
            raise


def start_over(cluster: Any, namespace: str) -> None:
    """Delete what an earlier setup (or attempt) left: the Deployment, the Service, the client."""
    _ignore_missing(lambda: cluster.apps.delete_namespaced_deployment(NAME, namespace, propagation_policy="Foreground"))
    _ignore_missing(lambda: cluster.core.delete_namespaced_service(NAME, namespace))
    _ignore_missing(lambda: cluster.core.delete_namespaced_pod(CLIENT, namespace, grace_period_seconds=1))
    wait_for_gone(cluster.apps.list_namespaced_deployment, NAME, what=f"Deployment {NAME}", namespace=namespace)
    wait_for_gone(cluster.core.list_namespaced_pod, CLIENT, what=f"pod {CLIENT}", namespace=namespace)


def crashed(pod: Any) -> bool:
    return any(s.restart_count >= 1 or (s.state.terminated is not None) for s in pod.status.container_statuses or [])


def describe(pods: list) -> str:
    return ", ".join(f"{p.metadata.name}: {p.status.phase}" for p in live(pods)) or "no pod"


def apply(cluster: Any, namespace: str) -> None:
    start_over(cluster, namespace)
    cluster.core.create_namespaced_service(namespace, service())
    cluster.core.create_namespaced_pod(namespace, client_pod(CLIENT))
    cluster.apps.create_namespaced_deployment(namespace, deployment())
    try:
        pods = wait_for(
            cluster.core.list_namespaced_pod,
            lambda found: len(live(found)) == REPLICAS and all(crashed(p) for p in live(found)),
            what=f"the first crash of each {NAME} pod on the real node",
            describe=describe,
            timeout=CRASH_TIMEOUT,
            namespace=namespace,
            label_selector=f"app={NAME}",
        )
    except WaitTimeout as error:
        raise LabError(f"{error}. Is the real node Ready? kubectl get nodes") from None
    names = ",".join(sorted(p.metadata.name for p in live(pods)))
    cluster.apps.patch_namespaced_deployment(NAME, namespace, {"metadata": {"annotations": {BROKEN_PODS: names}}})
