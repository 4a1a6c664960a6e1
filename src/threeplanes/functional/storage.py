"""Volumes and claims: build them, wait for the volume controller, show how they are bound.

PersistentVolumes and StorageClasses are cluster-scoped, so a lab names them after its
namespace and labels them as its own (``threeplanes.kit.labels.owned_labels``);
``threeplanes.kit.cleanup.delete_owned`` removes them at the end and waits until they are
gone. ``storage_graph`` draws which pod mounts which claim, which volume each claim
is bound to, and the node a local volume lives on.
"""

from __future__ import annotations

from typing import Any

import graphviz

from threeplanes.kit.graph import Diagram
from threeplanes.kit.pods import pod_log
from threeplanes.kit.tables import Table, table
from threeplanes.kit.wait import Objects, is_ready, named, wait_for, wait_for_one

HOSTNAME = "kubernetes.io/hostname"
MODES = {
    "ReadWriteOnce": "RWO",
    "ReadOnlyMany": "ROX",
    "ReadWriteMany": "RWX",
    "ReadWriteOncePod": "RWOP",
}


def persistent_volume(
    name: str,
    labels: dict[str, str],
    size: str,
    modes: list[str],
    storage_class: str = "",
    reclaim: str = "Retain",
    source: dict[str, Any] | None = None,
    node: str | None = None,
) -> dict[str, Any]:
    """A PersistentVolume: a ``hostPath`` by default; pinned to ``node`` when given (required for ``local``)."""
    spec: dict[str, Any] = {
        "capacity": {"storage": size},
        "accessModes": modes,
        "storageClassName": storage_class,
        "persistentVolumeReclaimPolicy": reclaim,
        **(source or {"hostPath": {"path": f"/tmp/threeplanes/{name}", "type": "DirectoryOrCreate"}}),
    }
    if node:
        term = {"matchExpressions": [{"key": HOSTNAME, "operator": "In", "values": [node]}]}
        spec["nodeAffinity"] = {"required": {"nodeSelectorTerms": [term]}}
    return {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": name, "labels": labels}, "spec": spec}


def claim(
    name: str, size: str, modes: list[str], storage_class: str | None = "", selector: dict[str, str] | None = None
) -> dict[str, Any]:
    """A PersistentVolumeClaim; ``storage_class=None`` leaves the class to the cluster's default."""
    spec: dict[str, Any] = {"accessModes": modes, "resources": {"requests": {"storage": size}}}
    if storage_class is not None:
        spec["storageClassName"] = storage_class
    if selector:
        spec["selector"] = {"matchLabels": selector}
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name}, "spec": spec}


def pod_with_claim(name: str, claim_name: str, image: str, command: list[str] | None = None) -> dict[str, Any]:
    """A pod that mounts ``claim_name`` at ``/data``: it sleeps, or runs ``command`` once to completion."""
    mount = {"name": "data", "mountPath": "/data"}
    container = {"name": "main", "image": image, "command": command or ["sleep", "86400"], "volumeMounts": [mount]}
    spec = {
        "containers": [container],
        "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": claim_name}}],
        "restartPolicy": "Never" if command else "Always",
    }
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


def scheduled(pod: Any) -> bool:
    return pod.spec.node_name is not None


# --- Waiting for the volume controller ---------------------------------------------------------


def wait_for_claim(cluster: Any, namespace: str, name: str, phase: str = "Bound", timeout: float = 30) -> Any:
    """Wait until claim ``name`` is in ``phase`` (Pending, Bound or Lost)."""
    list_claims = cluster.core.list_namespaced_persistent_volume_claim
    return _wait_for_phase(list_claims, f"claim {namespace}/{name}", name, phase, timeout, namespace=namespace)


def wait_for_volume(cluster: Any, name: str, phase: str, timeout: float = 30) -> Any:
    """Wait until PersistentVolume ``name`` is in ``phase`` (Available, Bound, Released or Failed)."""
    return _wait_for_phase(cluster.core.list_persistent_volume, f"PersistentVolume {name}", name, phase, timeout)


def _wait_for_phase(list_fn: Any, called: str, name: str, phase: str, timeout: float, **list_kwargs: Any) -> Any:
    return wait_for_one(
        list_fn,
        name,
        lambda found: found.status.phase == phase,
        what=f"{called} to be {phase}",
        describe=lambda found: found.status.phase,
        missing=f"no {called}",
        timeout=timeout,
        **list_kwargs,
    )


def wait_for_pod(
    cluster: Any, namespace: str, name: str, condition: Any = None, state: str = "Ready", timeout: float = 30
) -> Any:
    """Wait until pod ``name`` satisfies ``condition`` (by default: it is Ready)."""
    condition = condition or is_ready
    found = wait_for(
        cluster.core.list_namespaced_pod,
        lambda pods: bool(pods) and condition(pods[0]),
        what=f"pod {namespace}/{name} to be {state}",
        describe=lambda pods: f"{pods[0].status.phase}; {scheduling_message(pods[0])}" if pods else "no such pod",
        timeout=timeout,
        namespace=namespace,
        **named(name),
    )
    return found[0]


def wait_for_logs(cluster: Any, namespace: str, name: str, timeout: float = 60) -> str:
    """Wait until pod ``name`` has run to completion, then return what it printed (real containers only)."""
    wait_for_pod(cluster, namespace, name, lambda p: p.status.phase in ("Succeeded", "Failed"), "finished", timeout)
    return pod_log(cluster, namespace, name)


def scheduling_message(pod: Any) -> str:
    """Why the scheduler has not placed ``pod`` (empty once it is scheduled)."""
    for condition in pod.status.conditions or []:
        if condition.type == "PodScheduled" and condition.status == "False":
            return condition.message or ""
    return ""


# --- Showing them ----------------------------------------------------------------------------


def modes(obj: Any) -> str:
    return ",".join(MODES.get(m, m) for m in obj.spec.access_modes or [])


def volumes_table(volumes: Objects) -> Table:
    return table(
        sorted(volumes, key=lambda v: v.metadata.name),
        {
            "VOLUME": lambda v: v.metadata.name,
            "CAPACITY": lambda v: v.spec.capacity.get("storage"),
            "MODES": modes,
            "RECLAIM": lambda v: v.spec.persistent_volume_reclaim_policy,
            "CLASS": lambda v: v.spec.storage_class_name or '""',
            "PHASE": lambda v: v.status.phase,
            "CLAIM": lambda v: f"{v.spec.claim_ref.namespace}/{v.spec.claim_ref.name}" if v.spec.claim_ref else "",
            "NODE": volume_node,
        },
    )


def claims_table(claims: Objects) -> Table:
    return table(
        sorted(claims, key=lambda c: c.metadata.name),
        {
            "CLAIM": lambda c: c.metadata.name,
            "ASKS": lambda c: c.spec.resources.requests.get("storage"),
            "MODES": modes,
            "CLASS": lambda c: '""' if c.spec.storage_class_name == "" else c.spec.storage_class_name,
            "PHASE": lambda c: c.status.phase,
            "VOLUME": lambda c: c.spec.volume_name,
            "CAPACITY": lambda c: (c.status.capacity or {}).get("storage"),
        },
    )


def volume_node(volume: Any) -> str | None:
    """The node a volume is pinned to by its node affinity, if any."""
    affinity = volume.spec.node_affinity
    if not affinity or not affinity.required:
        return None
    for term in affinity.required.node_selector_terms:
        for expression in term.match_expressions or []:
            if expression.key == HOSTNAME and expression.operator == "In":
                return ",".join(expression.values)
    return None


def claim_names(pod: Any) -> list[str]:
    return [v.persistent_volume_claim.claim_name for v in pod.spec.volumes or [] if v.persistent_volume_claim]


def storage_graph(cluster: Any, namespace: str, volumes: Objects) -> graphviz.Digraph:
    """Pods → the claims they mount → the volumes bound to them → the node a local volume lives on."""
    graph = Diagram(
        graph_attr={"rankdir": "LR"}, node_attr={"fontsize": "10"}, edge_attr={"fontsize": "9", "color": "#475569"}
    )
    for pod in cluster.core.list_namespaced_pod(namespace).items:
        where = pod.spec.node_name or "Pending"
        graph.node(
            f"pod/{pod.metadata.name}",
            f"Pod {pod.metadata.name}\n{where}",
            shape="ellipse",
            style="filled",
            fillcolor="#dcfce7" if pod.spec.node_name else "#fee2e2",
        )
        for name in claim_names(pod):
            graph.edge(f"pod/{pod.metadata.name}", f"pvc/{name}", label="mounts")
    for pvc in cluster.core.list_namespaced_persistent_volume_claim(namespace).items:
        graph.node(
            f"pvc/{pvc.metadata.name}",
            f"PVC {pvc.metadata.name}\n{pvc.status.phase}",
            shape="note",
            style="filled",
            fillcolor="#fef3c7" if pvc.status.phase == "Bound" else "#fee2e2",
        )
        if pvc.spec.volume_name:
            graph.edge(f"pvc/{pvc.metadata.name}", f"pv/{pvc.spec.volume_name}", label="bound to")
    for volume in volumes:
        graph.node(
            f"pv/{volume.metadata.name}",
            f"PV {volume.metadata.name}\n{volume.status.phase}",
            shape="cylinder",
            style="filled",
            fillcolor="#e0e7ff",
        )
        if node := volume_node(volume):
            graph.node(f"node/{node}", f"Node {node}", shape="box3d")
            graph.edge(f"pv/{volume.metadata.name}", f"node/{node}", label="only on", style="dashed")
    return graph
