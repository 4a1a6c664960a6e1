"""Simulated worker nodes: Node objects that kwok keeps alive.

A node is simulated when it carries the label ``kwok.x-k8s.io/node: fake``; kwok then
answers its heartbeats and runs the pods scheduled onto it through kwok's stages. kwok watches
nodes through that label, which the API server matches: a node whose label changes drops out
of kwok's watch, and kwok forgets it as if its kubelet had died (the lab F6 does that).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

KWOK_LABEL = "kwok.x-k8s.io/node"
KWOK_MANAGED = "fake"  # the value kwok selects (cluster/kwokctl.yaml)
METRICS_PATH_ANNOTATION = "metrics.k8s.io/resource-metrics-path"
REGION = "local"


@dataclass(frozen=True)
class Node:
    """What a simulated node offers: capacity, its zone and any extra labels or taints."""

    name: str
    zone: str
    cpu: str = "4"
    memory: str = "16Gi"
    pods: int = 110
    labels: dict[str, str] = field(default_factory=dict)
    taints: tuple[dict[str, str], ...] = ()

    def body(self) -> dict:
        """The Node object, as the API takes it."""
        labels = {
            "kubernetes.io/hostname": self.name,
            "kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
            "node-role.kubernetes.io/worker": "",
            "node.kubernetes.io/instance-type": f"kwok-{self.cpu}cpu-{self.memory.lower()}",
            "topology.kubernetes.io/region": REGION,
            "topology.kubernetes.io/zone": self.zone,
            "type": "kwok",
            KWOK_LABEL: KWOK_MANAGED,
            **self.labels,
        }
        capacity = {"cpu": self.cpu, "memory": self.memory, "pods": str(self.pods), "ephemeral-storage": "100Gi"}
        return {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": self.name,
                "labels": labels,
                "annotations": {
                    "node.alpha.kubernetes.io/ttl": "0",
                    # kwok serves a node's resource metrics here, not at the kubelet's usual path.
                    METRICS_PATH_ANNOTATION: f"/metrics/nodes/{self.name}/metrics/resource",
                },
            },
            "spec": {"taints": [dict(t) for t in self.taints]} if self.taints else {},
            "status": {"capacity": capacity, "allocatable": capacity},
        }


def is_simulated(node_labels: dict[str, str] | None) -> bool:
    """True for a node kwok simulates, or did until a lab stopped it; a real node has no kwok label."""
    return KWOK_LABEL in (node_labels or {})


def node_ready_condition(node: Any) -> Any | None:
    """The Ready condition of ``node`` (a ``V1Node``), which the kubelet or kwok reports; None until one does."""
    return next((c for c in node.status.conditions or [] if c.type == "Ready"), None)


def node_ready(node: Any) -> str:
    """The status of ``node``'s Ready condition: ``True``, ``False`` or ``Unknown`` (also while it has none).

    ``node`` is a ``V1Node`` or, as ``kubectl get -o json`` prints it, a dict.
    """
    if isinstance(node, Mapping):
        conditions = (node.get("status") or {}).get("conditions") or []
        return next((c["status"] for c in conditions if c["type"] == "Ready"), "Unknown")
    condition = node_ready_condition(node)
    return condition.status if condition is not None else "Unknown"


def node_is_ready(node: Any) -> bool:
    """True when ``node`` reports Ready."""
    return node_ready(node) == "True"


def placement(selector: Mapping[str, str], taint: Mapping[str, str]) -> dict[str, Any]:
    """What a pod spec needs to land on the nodes labelled ``selector`` that carry ``taint`` (a NoSchedule
    taint's key and value): a nodeSelector and a toleration, camelCase, as in a manifest."""
    toleration = {"key": taint["key"], "operator": "Equal", "value": taint["value"], "effect": "NoSchedule"}
    return {"nodeSelector": dict(selector), "tolerations": [toleration]}


def default_nodes() -> list[Node]:
    """Three workers of 4 CPUs and 16 GiB each, spread over two zones."""
    return [
        Node("worker-1", zone="zone-a"),
        Node("worker-2", zone="zone-b"),
        Node("worker-3", zone="zone-a"),
    ]


def node_manifest(nodes: list[Node]) -> str:
    """A ``kubectl apply``-able List of the nodes (JSON is valid YAML)."""
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": [n.body() for n in nodes]}, indent=2)
