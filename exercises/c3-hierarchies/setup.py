"""Setup of the c3-hierarchies exercise: what a team left in the reader's namespace.

- Deployment ``catalog`` (two pods labelled ``app: catalog, role: api``) and Deployment
  ``catalog-admin`` (one pod labelled ``app: catalog, role: admin``), applied with server-side
  apply by the field manager ``team``, which therefore owns ``spec.replicas`` of both;
- Service ``catalog``, applied by ``team`` too, whose selector has a typo (``app: catalogue``);
- ReplicaSet ``legacy``, as an orphaning delete of its Deployment would leave it: no owner, one pod.
"""

from __future__ import annotations

from threeplanes.conceptual.apply import server_side_apply
from threeplanes.kit.manifests import app_deployment
from threeplanes.kit.wait import wait_for_pods
from threeplanes.versions import pinned

TEAM = "team"


def deployment(name: str, role: str, replicas: int) -> dict:
    labels = {"app": "catalog", "role": role}
    pod_spec = {"containers": [container(name, 8080)]}
    return app_deployment(name, pod_spec, replicas, labels, real_node=False, grace_s=None, selector=labels)


def container(name: str, port: int) -> dict:
    return {
        "name": name,
        "image": pinned().images["web"],
        "args": ["netexec", f"--http-port={port}"],
        "ports": [{"containerPort": port}],
    }


def service(selector: dict[str, str]) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "catalog"},
        "spec": {"selector": selector, "ports": [{"port": 80, "targetPort": 8080}]},
    }


LEGACY = {
    "apiVersion": "apps/v1",
    "kind": "ReplicaSet",
    "metadata": {"name": "legacy", "labels": {"app": "legacy"}},
    "spec": {
        "replicas": 1,
        "selector": {"matchLabels": {"app": "legacy"}},
        "template": {"metadata": {"labels": {"app": "legacy"}}, "spec": {"containers": [container("legacy", 8080)]}},
    },
}


def apply(cluster, namespace: str) -> None:
    for document in (
        deployment("catalog", "api", 2),
        deployment("catalog-admin", "admin", 1),
        service({"app": "catalogue"}),
        LEGACY,
    ):
        server_side_apply(cluster, namespace, document, TEAM)
    wait_for_pods(cluster, namespace, "app=legacy", 1, timeout=30)  # the orphan's pod, as the page describes
