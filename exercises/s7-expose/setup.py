"""Setup of the s7-expose exercise: the Deployment ``shop`` and a ``client`` pod, both on the real node.

``shop`` runs three replicas of agnhost's web server listening on port 8080, declared as the
container port named ``http``; its pods carry ``app: shop`` and ``tier: front``. ``client`` is a
busybox pod that sleeps: the checker sends its requests from it, as any pod of the namespace would.
Both need real containers, so both go to the real node (``on_real_node``). Running the setup again
leaves what is there in place.
"""

from __future__ import annotations

from kubernetes import client as k8s

from threeplanes.kit.control_plane import on_real_node
from threeplanes.versions import pinned

NAME = "shop"
LABELS = {"app": "shop", "tier": "front"}
PORT = 8080
CLIENT = "client"


def deployment() -> dict:
    container = {
        "name": NAME,
        "image": pinned().images["web"],
        "args": ["netexec", f"--http-port={PORT}"],
        "ports": [{"name": "http", "containerPort": PORT}],
        "readinessProbe": {"httpGet": {"path": "/healthz", "port": PORT}, "periodSeconds": 2},
    }
    spec = on_real_node({"terminationGracePeriodSeconds": 1, "containers": [container]})
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": NAME, "labels": LABELS},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": LABELS},
            "template": {"metadata": {"labels": LABELS}, "spec": spec},
        },
    }


def client_pod() -> dict:
    container = {"name": CLIENT, "image": pinned().images["busybox"], "command": ["sleep", "86400"]}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": CLIENT, "labels": {"app": CLIENT}},
        "spec": on_real_node({"terminationGracePeriodSeconds": 1, "containers": [container]}),
    }


def _create(create, namespace: str, body: dict) -> None:
    try:
        create(namespace, body)
    except k8s.ApiException as error:
        if error.status != 409:  # already there: a second setup keeps it
            raise


def apply(cluster, namespace: str) -> None:
    _create(cluster.apps.create_namespaced_deployment, namespace, deployment())
    _create(cluster.core.create_namespaced_pod, namespace, client_pod())
    print(
        f"Deployment {NAME} (3 pods, port {PORT} named http) and pod {CLIENT} created in {namespace}, on the real node."
    )
