"""Deleting what the book made: by label, through API discovery, and at process exit.

Namespaced objects go with their namespace. Cluster-scoped ones (nodes, PersistentVolumes,
StorageClasses, PriorityClasses, and whatever kinds later labs add) carry the owner's labels
(``threeplanes.kit.labels``) and, when they belong to one run, the label ``FOR_NAMESPACE``
naming that run's namespace. Discovery lists every cluster-scoped kind the API serves, so no
hand-kept list of kinds can miss one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cache
from typing import Any

from kubernetes import client

from threeplanes.errors import WaitTimeout
from threeplanes.kit.deleting import at_exit
from threeplanes.kit.labels import FOR_NAMESPACE, LAB_LABEL
from threeplanes.kit.nodes import delete_node
from threeplanes.provision.existing import KubernetesApi, resource_paths


@dataclass(frozen=True)
class ServedKind:
    """A listable, deletable kind the API serves, as discovery describes it."""

    group_version: str  # "v1" or "storage.k8s.io/v1"
    plural: str
    kind: str
    namespaced: bool

    def path(self, name: str = "", namespace: str = "") -> str:
        """The API path of the collection (in ``namespace`` when given), or of the object ``name``."""
        base = "/api/v1" if self.group_version == "v1" else f"/apis/{self.group_version}"
        scope = f"/namespaces/{namespace}" if namespace else ""
        return f"{base}{scope}/{self.plural}" + (f"/{name}" if name else "")


def api_of(api_client: client.ApiClient) -> KubernetesApi:
    """Raw GET and DELETE of API paths over the lab kit's client (the discovery provisioning uses too)."""
    return KubernetesApi(api_client=api_client)


@cache
def kinds(api_client: client.ApiClient) -> list[ServedKind]:
    """Every kind the API serves that can be listed and deleted, at each group's preferred version."""
    return [
        ServedKind(base.removeprefix("/apis/").removeprefix("/api/"), r["name"], r["kind"], r["namespaced"])
        for base, r in resource_paths(api_of(api_client))
    ]


@dataclass(frozen=True)
class Owned:
    kind: ServedKind
    name: str
    labels: dict[str, str]

    def __str__(self) -> str:
        return f"{self.kind.kind.lower()}/{self.name}"


def cluster_scoped(cluster: Any, selector: str) -> list[Owned]:
    """Every cluster-scoped object (namespaces included) whose labels match ``selector``."""
    found = []
    for kind in kinds(cluster.api_client):
        if kind.namespaced:
            continue
        for item in api_of(cluster.api_client).get(kind.path(), {"labelSelector": selector}).get("items", []):
            metadata = item["metadata"]
            found.append(Owned(kind, metadata["name"], metadata.get("labels") or {}))
    return found


def delete_owned(cluster: Any, selector: str, timeout: float = 60, wait: bool = True) -> list[str]:
    """Delete every cluster-scoped object (not namespaces) matching ``selector``; unless told not to
    ``wait``, wait until all are gone."""

    def left() -> list[Owned]:
        return [o for o in cluster_scoped(cluster, selector) if o.kind.kind != "Namespace"]

    owned = left()
    for obj in owned:
        _delete(cluster, obj)
    if not wait:
        return [str(o) for o in owned]
    # Discovery-listed kinds have no typed watch here, so this one wait polls.
    deadline = time.monotonic() + timeout
    while remaining := left():
        if time.monotonic() > deadline:
            names = ", ".join(map(str, remaining))
            raise WaitTimeout(f"{names} still there {timeout:g} s after being deleted ({selector})")
        time.sleep(0.3)
    return [str(o) for o in owned]


def _delete(cluster: Any, obj: Owned) -> None:
    if obj.kind.kind == "Node":
        delete_node(cluster, obj.name, wait=False)
    else:
        api_of(cluster.api_client).delete(obj.kind.path(obj.name))


def delete_stale(cluster: Any, owner: str) -> list[str]:
    """Delete, without waiting, the cluster-scoped objects of ``owner`` whose run's namespace is gone.

    An object made for one run carries ``FOR_NAMESPACE: <namespace>``; once that namespace is
    deleted or being deleted, the run is over and the object is a leftover.
    """
    # Objects first, namespaces second: a run makes its namespace before its objects, so every
    # live run's object listed here has its namespace in the listing that follows.
    candidates = [
        o for o in cluster_scoped(cluster, f"{LAB_LABEL}={owner},{FOR_NAMESPACE}") if o.kind.kind != "Namespace"
    ]
    live = {ns.metadata.name for ns in cluster.core.list_namespace().items if ns.status.phase != "Terminating"}
    stale = [o for o in candidates if o.labels[FOR_NAMESPACE] not in live]
    for obj in stale:
        _delete(cluster, obj)
    return [str(o) for o in stale]


def delete_at_exit(cluster: Any, selector: str) -> None:
    """Delete what ``selector`` matches when the process (a notebook's kernel) ends, if the run did not."""
    at_exit(delete_owned, cluster, selector, wait=False)
