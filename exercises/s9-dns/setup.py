"""Setup of the s9-dns exercise: three database pods and a client on the real node, and no Service yet.

``db-0`` and ``db-1`` pass their readiness probe; ``db-2`` never does (its probe runs ``false``).
All three carry ``role=db`` and nothing else, and none sets ``hostname`` or ``subdomain``. The pod
``dns-client`` is where the checker asks the cluster's DNS from (``nslookup``, through the real
node's CoreDNS). Running the setup again deletes the four pods and starts them afresh; the
reader's Services are left alone.
"""

from __future__ import annotations

from typing import Any

from kubernetes import client

from threeplanes.kit.control_plane import on_real_node
from threeplanes.kit.wait import wait_for, wait_for_gone
from threeplanes.versions import pinned

ROLE = {"role": "db"}
DATABASES = {"db-0": True, "db-1": True, "db-2": False}  # name: passes its readiness probe
CLIENT = "dns-client"
CLIENT_LABELS = {"app": "dns-client"}
PORT = 5432


def db_pod(name: str, ready: bool = True, labels: dict | None = None, **naming: str) -> dict:
    """A database pod as the setup makes it; ``naming`` adds ``hostname`` and ``subdomain`` to its spec."""
    probe = ["true"] if ready else ["false"]
    container = {
        "name": "db",
        "image": pinned().images["busybox"],
        "command": ["sh", "-c", f"echo database {name} listening on {PORT}; exec sleep 86400"],
        "ports": [{"name": "db", "containerPort": PORT}],
        "readinessProbe": {"exec": {"command": probe}, "periodSeconds": 2},
    }
    spec = {"terminationGracePeriodSeconds": 1, "containers": [container], **naming}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {**ROLE, **(labels or {})}},
        "spec": on_real_node(spec),
    }


def client_pod() -> dict:
    container = {"name": "client", "image": pinned().images["busybox"], "command": ["sleep", "86400"]}
    spec = {"terminationGracePeriodSeconds": 1, "containers": [container]}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": CLIENT, "labels": CLIENT_LABELS},
        "spec": on_real_node(spec),
    }


def delete_pod(cluster: Any, namespace: str, name: str) -> None:
    """Delete pod ``name`` if it is there, and wait until it is gone."""
    try:
        cluster.core.delete_namespaced_pod(name, namespace, grace_period_seconds=1)
    except client.ApiException as error:
        if error.status != 404:
            raise
    wait_for_gone(cluster.core.list_namespaced_pod, name, what=f"pod {name}", namespace=namespace)


def running(pods: list, names: set[str]) -> bool:
    return names <= {p.metadata.name for p in pods if p.status.phase == "Running" and p.status.pod_ip}


def apply(cluster: Any, namespace: str) -> None:
    names = {*DATABASES, CLIENT}
    for name in names:
        delete_pod(cluster, namespace, name)
    for name, ready in DATABASES.items():
        cluster.core.create_namespaced_pod(namespace, db_pod(name, ready))
    cluster.core.create_namespaced_pod(namespace, client_pod())
    wait_for(
        cluster.core.list_namespaced_pod,
        lambda pods: running(pods, names),
        what="the pods db-0, db-1, db-2 and dns-client running on the real node",
        describe=lambda pods: ", ".join(f"{p.metadata.name}: {p.status.phase}" for p in pods) or "no pod",
        timeout=90,
        namespace=namespace,
    )
