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

from threeplanes.checking import missions
from threeplanes.checking.missions import idle_client_pod
from threeplanes.kit.wait import wait_for_rollout
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
    return missions.mission_deployment(name, container, replicas, labels)


def service() -> dict:
    return missions.mission_service(NAME, WRONG_SELECTOR)


def apply(cluster: Any, namespace: str) -> None:
    for made in cluster.discovery.list_namespaced_endpoint_slice(namespace).items:  # by hand, in an attempt
        if (made.metadata.labels or {}).get(MANAGED_BY) != CONTROLLER:
            missions.delete_if_there(
                lambda m=made: cluster.discovery.delete_namespaced_endpoint_slice(m.metadata.name, namespace)
            )
    missions.start_over(cluster, namespace, deployments=(NAME, ADMIN), services=(NAME,), pods=(CLIENT,))
    cluster.core.create_namespaced_service(namespace, service())
    cluster.core.create_namespaced_pod(namespace, idle_client_pod(CLIENT))
    cluster.apps.create_namespaced_deployment(namespace, deployment(NAME, REPLICAS))
    cluster.apps.create_namespaced_deployment(namespace, deployment(ADMIN, 1))
    for name in (NAME, ADMIN):
        wait_for_rollout(cluster, namespace, name, timeout=90)
