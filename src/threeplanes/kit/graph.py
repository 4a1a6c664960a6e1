"""Draw the objects of a namespace, live from the cluster, as a graphviz graph.

Three kinds of edge show three different relations:

* owner references (solid): a Deployment owns ReplicaSets, which own Pods; a Service
  owns its EndpointSlices;
* label selectors (dashed): a Service selects the Pods whose labels match;
* endpoints (dotted): an EndpointSlice lists the Pods traffic may go to.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import graphviz

from threeplanes.errors import LabError
from threeplanes.kit.wait import is_ready

SHAPES = {
    "Deployment": ("box3d", "#dbeafe"),
    "ReplicaSet": ("box", "#e0e7ff"),
    "Pod": ("ellipse", "#dcfce7"),
    "Service": ("hexagon", "#fef3c7"),
    "EndpointSlice": ("note", "#fde68a"),
    "Job": ("box3d", "#fce7f3"),
    "StatefulSet": ("box3d", "#dbeafe"),
    "DaemonSet": ("box3d", "#dbeafe"),
}
EDGES = {
    "owns": {"style": "solid", "color": "#1e3a8a"},
    "selects": {"style": "dashed", "color": "#b45309"},
    "endpoint": {"style": "dotted", "color": "#15803d", "penwidth": "2"},
}
GRAPHVIZ_HINT = (
    "graphviz's `dot` program is not installed, so diagrams cannot be drawn. Install it with "
    "`sudo apt-get install graphviz` (Debian, Ubuntu) or `brew install graphviz` (macOS)."
)


@contextmanager
def _dot_needed() -> Iterator[None]:
    try:
        yield
    except graphviz.ExecutableNotFound:
        raise LabError(GRAPHVIZ_HINT) from None


class Diagram(graphviz.Digraph):
    """A graphviz ``Digraph`` whose drawing fails with one sentence, not a traceback, when ``dot`` is missing.

    Every diagram of the lab kit is one: a notebook draws it through ``pipe`` (``_repr_mimebundle_``).
    """

    def pipe(self, *args, **kwargs):  # type: ignore[override]
        with _dot_needed():
            return super().pipe(*args, **kwargs)

    def render(self, *args, **kwargs):  # type: ignore[override]
        with _dot_needed():
            return super().render(*args, **kwargs)


@dataclass
class NamespaceObjects:
    """The objects of one namespace that the graph shows."""

    namespace: str
    deployments: list[Any] = field(default_factory=list)
    replicasets: list[Any] = field(default_factory=list)
    pods: list[Any] = field(default_factory=list)
    services: list[Any] = field(default_factory=list)
    endpointslices: list[Any] = field(default_factory=list)
    jobs: list[Any] = field(default_factory=list)


def read_namespace(cluster: Any, namespace: str) -> NamespaceObjects:
    """Read, from the cluster, every object the graph can show."""
    return NamespaceObjects(
        namespace=namespace,
        deployments=cluster.apps.list_namespaced_deployment(namespace).items,
        replicasets=cluster.apps.list_namespaced_replica_set(namespace).items,
        pods=cluster.core.list_namespaced_pod(namespace).items,
        services=cluster.core.list_namespaced_service(namespace).items,
        endpointslices=cluster.discovery.list_namespaced_endpoint_slice(namespace).items,
        jobs=cluster.batch.list_namespaced_job(namespace).items,
    )


def object_graph(cluster: Any, namespace: str) -> Diagram:
    """The live object graph of ``namespace``; a notebook displays it as SVG."""
    require_dot()
    return build_graph(read_namespace(cluster, namespace))


def require_dot() -> None:
    if shutil.which("dot") is None:
        raise LabError(GRAPHVIZ_HINT)


def node_id(kind: str, name: str) -> str:
    return f"{kind}/{name}"


def selects(selector: dict[str, str] | None, labels: dict[str, str] | None) -> bool:
    """True when every key/value of a (non-empty) equality selector is among ``labels``."""
    return bool(selector) and all((labels or {}).get(k) == v for k, v in selector.items())


def build_graph(objects: NamespaceObjects) -> Diagram:
    """Lay out the objects and their three kinds of relation, with a legend."""
    graph = Diagram(name=objects.namespace)
    graph.attr(rankdir="LR", fontname="Helvetica", fontsize="11", nodesep="0.25", ranksep="0.6")
    graph.attr("node", fontname="Helvetica", fontsize="10", style="filled")
    graph.attr("edge", fontname="Helvetica", fontsize="9")

    with graph.subgraph(name="cluster_namespace") as ns:
        ns.attr(label=f"namespace {objects.namespace}", style="rounded,dashed", color="#64748b")
        _add_objects(ns, objects)

    known = {node_id(k, o.metadata.name) for k, o in _kinds(objects)}
    for kind, obj in _kinds(objects):
        for owner in obj.metadata.owner_references or []:
            owner_id = node_id(owner.kind, owner.name)
            if owner_id in known:
                graph.edge(owner_id, node_id(kind, obj.metadata.name), **EDGES["owns"])
    for service in objects.services:
        for pod in objects.pods:
            if selects(service.spec.selector, pod.metadata.labels):
                graph.edge(
                    node_id("Service", service.metadata.name), node_id("Pod", pod.metadata.name), **EDGES["selects"]
                )
    for endpointslice in objects.endpointslices:
        for endpoint in endpointslice.endpoints or []:
            ref = endpoint.target_ref
            if ref is not None and ref.kind == "Pod" and node_id("Pod", ref.name) in known:
                graph.edge(
                    node_id("EndpointSlice", endpointslice.metadata.name), node_id("Pod", ref.name), **EDGES["endpoint"]
                )
    _add_legend(graph)
    return graph


def _kinds(objects: NamespaceObjects) -> list[tuple[str, Any]]:
    return [
        *(("Deployment", o) for o in objects.deployments),
        *(("ReplicaSet", o) for o in objects.replicasets),
        *(("Job", o) for o in objects.jobs),
        *(("Pod", o) for o in objects.pods),
        *(("Service", o) for o in objects.services),
        *(("EndpointSlice", o) for o in objects.endpointslices),
    ]


def _add_objects(graph: graphviz.Digraph, objects: NamespaceObjects) -> None:
    for kind, obj in _kinds(objects):
        shape, colour = SHAPES[kind]
        detail = _detail(kind, obj)
        label = f"{kind}\n{obj.metadata.name}" + (f"\n{detail}" if detail else "")
        graph.node(node_id(kind, obj.metadata.name), label=label, shape=shape, fillcolor=colour)


def _detail(kind: str, obj: Any) -> str:
    if kind == "Pod":
        state = "Ready" if is_ready(obj) else (obj.status.phase or "")
        return f"{state} on {obj.spec.node_name}" if obj.spec.node_name else f"{state}, unscheduled"
    if kind in ("Deployment", "ReplicaSet"):
        return f"{obj.status.ready_replicas or 0}/{obj.spec.replicas} ready"
    if kind == "Service":
        return f"{obj.spec.type} {obj.spec.cluster_ip}"
    return ""


def _add_legend(graph: graphviz.Digraph) -> None:
    with graph.subgraph(name="cluster_legend") as legend:
        legend.attr(label="legend", style="rounded", color="#cbd5e1", fontsize="9")
        legend.attr("node", shape="plaintext", style="", fontsize="9", width="0", height="0")
        for relation, style in EDGES.items():
            legend.node(f"legend_{relation}_from", "")
            legend.node(f"legend_{relation}_to", relation)
            legend.edge(f"legend_{relation}_from", f"legend_{relation}_to", **style)
