"""Setup of the fix-service-no-endpoints mission: a Service that selects no pod, three pods that would answer.

``catalog`` is three replicas of agnhost's ``netexec`` on the real node (port 8080, named ``http``;
``GET /hostname`` answers with the pod's name), labelled ``app: catalog, tier: backend``.
``catalog-admin``, one replica of the same server labelled ``app: catalog-admin, tier: backend``,
runs beside it. The Service ``catalog`` was written with ``app: catalogue`` in its selector, a
label no pod carries, so the EndpointSlice controller lists no endpoint for it, and kube-proxy
rejects what is sent to it. ``catalog-client`` is the pod the checker sends its requests from.
The setup waits until the pods are Ready. Running it again starts the mission over.
"""

from __future__ import annotations

from typing import Any

from kubernetes import client

from threeplanes.checking.missions import client_pod
from threeplanes.kit.control_plane import on_real_node
from threeplanes.kit.wait import wait_for_gone, wait_for_rollout
from threeplanes.versions import pinned

NAME, ADMIN, CLIENT = "catalog", "catalog-admin", "catalog-client"
REPLICAS = 3
PORT = 8080
WRONG_SELECTOR = {"app": "catalogue"}
MANAGED_BY, CONTROLLER = "endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io"


def deployment(name: str, replicas: int) -> dict:
    labels = {"app": name, "tier": "backend"}
    container = {
        "name": "server",
        "image": pinned().images["web"],
        "args": ["netexec", f"--http-port={PORT}"],
        "ports": [{"name": "http", "containerPort": PORT}],
        "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 2},
    }
    spec = {"terminationGracePeriodSeconds": 1, "containers": [container]}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": labels}, "spec": on_real_node(spec)},
        },
    }


def service() -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": NAME, "labels": {"app": NAME}},
        "spec": {"selector": dict(WRONG_SELECTOR), "ports": [{"name": "http", "port": 80, "targetPort": "http"}]},
    }


def _ignore_missing(delete: Any) -> None:
    try:
        delete()
    except client.ApiException as error:
        if error.status != 404:
            raise


def apply(cluster: Any, namespace: str) -> None:
    for name in (NAME, ADMIN):
        _ignore_missing(
            lambda name=name: cluster.apps.delete_namespaced_deployment(
                name, namespace, propagation_policy="Foreground"
            )
        )
    _ignore_missing(lambda: cluster.core.delete_namespaced_service(NAME, namespace))
    _ignore_missing(lambda: cluster.core.delete_namespaced_pod(CLIENT, namespace, grace_period_seconds=1))
    for made in cluster.discovery.list_namespaced_endpoint_slice(namespace).items:  # by hand, in an attempt
        if (made.metadata.labels or {}).get(MANAGED_BY) != CONTROLLER:
            _ignore_missing(
                lambda m=made: cluster.discovery.delete_namespaced_endpoint_slice(m.metadata.name, namespace)
            )
    for name in (NAME, ADMIN):
        wait_for_gone(cluster.apps.list_namespaced_deployment, name, what=f"Deployment {name}", namespace=namespace)
    wait_for_gone(cluster.core.list_namespaced_pod, CLIENT, what=f"pod {CLIENT}", namespace=namespace)
    cluster.core.create_namespaced_service(namespace, service())
    cluster.core.create_namespaced_pod(namespace, client_pod(CLIENT))
    cluster.apps.create_namespaced_deployment(namespace, deployment(NAME, REPLICAS))
    cluster.apps.create_namespaced_deployment(namespace, deployment(ADMIN, 1))
    for name in (NAME, ADMIN):
        wait_for_rollout(cluster, namespace, name, timeout=90)
