"""Simulated nodes of a run's own, so a lab never touches the shared workers.

A lab that packs nodes full, makes one fail or scales out needs nodes nobody else uses.
``NodePool`` creates them as kwok-simulated Node objects named ``<name>-<suffix>``, labelled
with the owner (what the leftover checks look for) and the run's namespace
(``FOR_NAMESPACE``), and tainted ``threeplanes.io/pool=<pool>:NoSchedule`` so that no other
pod lands there. A pod runs on them when its spec carries ``placement()``: a nodeSelector on
``threeplanes.io/pool=<pool>`` and the matching toleration. A run uses its namespace as both
name and pool, so two runs (two readers, two tests) never share a node.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from threeplanes.kit.deleting import at_exit, ignore_missing
from threeplanes.kit.labels import FOR_NAMESPACE, POOL, owned_labels
from threeplanes.kit.pods import live
from threeplanes.kit.wait import Objects, wait_for, wait_for_gone
from threeplanes.provision.nodes import Node, node_is_ready, placement
from threeplanes.provision.nodes import is_simulated as is_simulated  # for the labs: the kit is their door

NOT_READY_TAINTS = {"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"}


@dataclass(frozen=True)
class NodePool:
    """Nodes ``<name>-a``, ``<name>-b``...: labelled for ``owner``, tainted and selectable as ``pool``."""

    name: str  # the run's namespace
    owner: str  # the lab's file stem, or ``exercise-<id>``
    pool: str = ""  # the value of the pool label and taint; the name by default
    zone: str = "zone-a"

    @property
    def pool_value(self) -> str:
        return self.pool or self.name

    @property
    def selector(self) -> str:
        """A label selector for exactly these nodes."""
        return f"{FOR_NAMESPACE}={self.name},{POOL}={self.pool_value}"

    @property
    def taint(self) -> dict[str, str]:
        """The taint that keeps every other pod off these nodes."""
        return {"key": POOL, "value": self.pool_value, "effect": "NoSchedule"}

    def body(self, suffix: str, cpu: str = "2", memory: str = "4Gi") -> dict[str, Any]:
        """The Node object of ``<name>-<suffix>``, as the API takes it."""
        labels = owned_labels(self.owner, **{POOL: self.pool_value, FOR_NAMESPACE: self.name})
        name = f"{self.name}-{suffix}"
        return Node(name, zone=self.zone, cpu=cpu, memory=memory, labels=labels, taints=(self.taint,)).body()

    def placement(self) -> dict[str, Any]:
        """What a pod spec needs to run on these nodes (camelCase, as in a manifest)."""
        return placement({POOL: self.pool_value}, self.taint)

    def create(
        self, cluster: Any, *suffixes: str, cpu: str = "2", memory: str = "4Gi", remove_at_exit: bool = True
    ) -> Objects:
        """Create the nodes, wait until each is Ready and schedulable, and return them all (sorted by name).

        ``remove_at_exit`` deletes the pool when the process ends (a notebook's kernel), in case
        the run stops before its clean-up; a setup script that leaves the nodes to the reader
        passes False.
        """
        for suffix in suffixes:
            cluster.core.create_node(self.body(suffix, cpu, memory))
        if remove_at_exit:
            at_exit(self.delete, cluster, wait=False)
        count = len(self.nodes(cluster))
        return wait_for_schedulable(cluster, self.selector, count)

    def nodes(self, cluster: Any) -> Objects:
        return sorted(cluster.core.list_node(label_selector=self.selector).items, key=lambda n: n.metadata.name)

    def delete(self, cluster: Any, timeout: float = 60, wait: bool = True) -> None:
        """Delete every node of the pool (pods still bound to them first); wait until they are gone unless
        ``wait`` is False."""
        for node in self.nodes(cluster):
            delete_node(cluster, node.metadata.name, wait=False)
        if not wait:
            return
        wait_for(
            cluster.core.list_node,
            lambda nodes: not nodes,
            what=f"the nodes {self.selector!r} to be deleted",
            describe=lambda nodes: ", ".join(n.metadata.name for n in nodes),
            timeout=timeout,
            label_selector=self.selector,
        )


def schedulable(node: Any) -> bool:
    """Ready, and rid of the taints the node controller puts on a node that is not (yet) ready."""
    return node_is_ready(node) and not {t.key for t in node.spec.taints or []} & NOT_READY_TAINTS


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


def pods_on(cluster: Any, node: str) -> Objects:
    """The live pods bound to ``node``, in every namespace."""
    pods = cluster.core.list_pod_for_all_namespaces(field_selector=f"spec.nodeName={node}").items
    return live(pods)


def force_delete_pods_on(cluster: Any, node: str) -> list[str]:
    """Delete at once (grace period 0) every pod bound to ``node``; return their names.

    No kubelet confirms the deletion of a pod on a node that is gone or dead: without this,
    such pods stay Terminating (and keep their namespace from being deleted).
    """
    pods = cluster.core.list_pod_for_all_namespaces(field_selector=f"spec.nodeName={node}").items
    for pod in pods:
        with ignore_missing():
            cluster.core.delete_namespaced_pod(pod.metadata.name, pod.metadata.namespace, grace_period_seconds=0)
    return [p.metadata.name for p in pods]


def delete_node(cluster: Any, name: str, wait: bool = True, timeout: float = 60) -> None:
    """Force-delete the pods bound to node ``name``, then the node; wait until it is gone unless ``wait`` is False."""
    force_delete_pods_on(cluster, name)
    with ignore_missing():
        cluster.core.delete_node(name)
    if wait:
        wait_for_gone(cluster.core.list_node, name, what=f"node {name}", timeout=timeout)
