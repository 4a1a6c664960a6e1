"""Simulated nodes of a lab's (or an exercise's) own, so it never touches the shared workers.

A lab that packs nodes full, or makes a node fail, needs nodes nobody else uses. ``OwnNodes``
creates them as kwok-simulated Node objects named ``<prefix>-<suffix>``, labelled
``app.kubernetes.io/part-of: threeplanes`` and ``threeplanes.io/lab: <owner>`` (what the
leftover check looks for), and tainted ``threeplanes.io/pool=<pool>:NoSchedule`` so that no
other pod lands there. A pod runs on them when its spec carries ``placement()``: a
nodeSelector on the label ``threeplanes.io/pool=<pool>`` and the matching toleration.

A lab uses its namespace as both prefix and pool. An exercise uses the reader's namespace as
prefix and its own id as pool, so that its solution, a plain manifest, can name the pool.
"""

from __future__ import annotations

import atexit
from dataclasses import dataclass
from typing import Any

from kubernetes import client

from threeplanes.provision.nodes import Node
from threeplanes.wait import Objects, wait_for

PART_OF = "app.kubernetes.io/part-of"
LAB_LABEL = "threeplanes.io/lab"
POOL = "threeplanes.io/pool"
FOR_NAMESPACE = "threeplanes.io/for-namespace"
NOT_READY_TAINTS = {"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"}


@dataclass(frozen=True)
class OwnNodes:
    """Nodes ``<prefix>-a``, ``<prefix>-b``...: labelled for ``owner``, tainted and selectable as ``pool``."""

    prefix: str
    owner: str
    pool: str = ""

    @property
    def pool_name(self) -> str:
        return self.pool or self.prefix

    @property
    def selector(self) -> str:
        """A label selector for exactly these nodes (not those of another prefix in the same pool)."""
        return f"{LAB_LABEL}={self.owner},{FOR_NAMESPACE}={self.prefix}"

    def body(self, suffix: str, cpu: str = "2", memory: str = "4Gi", zone: str = "zone-a") -> dict[str, Any]:
        labels = {PART_OF: "threeplanes", LAB_LABEL: self.owner, POOL: self.pool_name, FOR_NAMESPACE: self.prefix}
        taint = {"key": POOL, "value": self.pool_name, "effect": "NoSchedule"}
        return Node(f"{self.prefix}-{suffix}", zone=zone, cpu=cpu, memory=memory, labels=labels, taints=(taint,)).body()

    def placement(self) -> dict[str, Any]:
        """What a pod spec needs to run on these nodes (camelCase, as in a manifest)."""
        toleration = {"key": POOL, "operator": "Equal", "value": self.pool_name, "effect": "NoSchedule"}
        return {"nodeSelector": {POOL: self.pool_name}, "tolerations": [toleration]}

    def create(
        self, cluster: Any, suffixes: list[str], cpu: str = "2", memory: str = "4Gi", remove_at_exit: bool = True
    ) -> Objects:
        """Create the nodes and wait until each is Ready and rid of the not-ready taint.

        ``remove_at_exit`` deletes them when the Python process ends (a notebook's kernel), in
        case the lab stops before its clean-up; a setup script that leaves them to the reader
        passes False.
        """
        for suffix in suffixes:
            cluster.core.create_node(self.body(suffix, cpu, memory))
        if remove_at_exit:
            atexit.register(self._delete_quietly, cluster)
        return wait_for_schedulable(cluster, self.selector, len(suffixes))

    def list(self, cluster: Any) -> Objects:
        return sorted(cluster.core.list_node(label_selector=self.selector).items, key=lambda n: n.metadata.name)

    def delete(self, cluster: Any, timeout: float = 60) -> None:
        """Delete the nodes (pods still bound to them first, at once) and wait until they are gone."""
        names = [n.metadata.name for n in self.list(cluster)]
        for name in names:
            delete_node(cluster, name)
        wait_for(
            cluster.core.list_node,
            lambda nodes: not nodes,
            what=f"nodes {', '.join(names)} to be deleted",
            describe=lambda nodes: ", ".join(n.metadata.name for n in nodes),
            timeout=timeout,
            label_selector=self.selector,
        )

    def _delete_quietly(self, cluster: Any) -> None:
        """At kernel exit: remove the nodes if the lab stopped before its clean-up."""
        try:
            self.delete(cluster, timeout=20)
        except Exception:  # the kernel is exiting: nothing useful can be said any more
            pass


def delete_stale(cluster: Any, owner: str, keep: str) -> list[str]:
    """Delete the nodes an interrupted earlier run of ``owner`` left behind (all but prefix ``keep``)."""
    stale = [
        n.metadata.name
        for n in cluster.core.list_node(label_selector=f"{LAB_LABEL}={owner}").items
        if (n.metadata.labels or {}).get(FOR_NAMESPACE) != keep
    ]
    for name in stale:
        delete_node(cluster, name)
    return stale


def delete_node(cluster: Any, name: str) -> None:
    """Force-delete the pods bound to node ``name``, then the node itself (gone already is fine)."""
    force_delete_pods_on(cluster, name)
    try:
        cluster.core.delete_node(name)
    except client.ApiException as error:
        if error.status != 404:
            raise


def schedulable(node: Any) -> bool:
    """Ready, and rid of the taints the node controller puts on a node that is not (yet) ready."""
    ready = any(c.type == "Ready" and c.status == "True" for c in node.status.conditions or [])
    return ready and not {t.key for t in node.spec.taints or []} & NOT_READY_TAINTS


def wait_for_schedulable(cluster: Any, selector: str, count: int, timeout: float = 30) -> Objects:
    """Wait until ``count`` nodes match ``selector`` and every one is Ready and schedulable."""
    found = wait_for(
        cluster.core.list_node,
        lambda nodes: len(nodes) == count and all(schedulable(n) for n in nodes),
        what=f"{count} node(s) {selector!r} to be Ready and schedulable",
        describe=lambda nodes: ", ".join(f"{n.metadata.name} schedulable={schedulable(n)}" for n in nodes) or "none",
        timeout=timeout,
        label_selector=selector,
    )
    return sorted(found, key=lambda n: n.metadata.name)


def force_delete_pods_on(cluster: Any, node: str) -> list[str]:
    """Delete at once (grace period 0) every pod bound to ``node``; return their names.

    No kubelet confirms the deletion of a pod on a node that is gone or dead: without this,
    such pods stay Terminating (and keep their namespace from being deleted).
    """
    pods = cluster.core.list_pod_for_all_namespaces(field_selector=f"spec.nodeName={node}").items
    for pod in pods:
        try:
            cluster.core.delete_namespaced_pod(pod.metadata.name, pod.metadata.namespace, grace_period_seconds=0)
        except client.ApiException as error:
            if error.status != 404:
                raise
    return [p.metadata.name for p in pods]
