"""Draw the objects of a namespace, live from the cluster, as a graphviz graph.

Four kinds of edge show four different relations:

* owner references (solid): a Deployment owns ReplicaSets, which own Pods; a Service
  owns its EndpointSlices;
* label selectors (dashed): a Service selects the Pods whose labels match;
* endpoints (dotted): an EndpointSlice lists the Pods traffic may go to;
* references by name (dash-dot, drawn when asked): a Pod names the ConfigMaps, Secrets,
  claims and ServiceAccount it uses; a name that matches no object is drawn as missing.

``object_graph`` draws the workloads and Services; ``threeplanes.kit.explorer`` reads every
kind the graph knows and draws the references too.
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
    "CronJob": ("box3d", "#fce7f3"),
    "ConfigMap": ("folder", "#f1f5f9"),
    "Secret": ("folder", "#fee2e2"),
    "PersistentVolumeClaim": ("cylinder", "#ede9fe"),
    "ServiceAccount": ("component", "#ccfbf1"),
}
MISSING = ("octagon", "#fecaca")
EDGES = {
    "owns": {"style": "solid", "color": "#1e3a8a"},
    "selects": {"style": "dashed", "color": "#b45309"},
    "endpoint": {"style": "dotted", "color": "#15803d", "penwidth": "2"},
    "refers to": {"style": "dashed", "color": "#7c3aed", "arrowhead": "empty"},
}
INJECTED_VOLUME = "kube-api-access-"  # the projected token volume the API server adds to every pod
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
    statefulsets: list[Any] = field(default_factory=list)
    daemonsets: list[Any] = field(default_factory=list)
    cronjobs: list[Any] = field(default_factory=list)
    configmaps: list[Any] = field(default_factory=list)
    secrets: list[Any] = field(default_factory=list)
    claims: list[Any] = field(default_factory=list)
    serviceaccounts: list[Any] = field(default_factory=list)


def read_namespace(cluster: Any, namespace: str, every_kind: bool = False) -> NamespaceObjects:
    """Read from the cluster the Deployments, ReplicaSets, pods, Services, EndpointSlices and Jobs of
    ``namespace``; with ``every_kind``, every other kind the graph can show too."""
    objects = NamespaceObjects(
        namespace=namespace,
        deployments=cluster.apps.list_namespaced_deployment(namespace).items,
        replicasets=cluster.apps.list_namespaced_replica_set(namespace).items,
        pods=cluster.core.list_namespaced_pod(namespace).items,
        services=cluster.core.list_namespaced_service(namespace).items,
        endpointslices=cluster.discovery.list_namespaced_endpoint_slice(namespace).items,
        jobs=cluster.batch.list_namespaced_job(namespace).items,
    )
    if every_kind:
        objects.statefulsets = cluster.apps.list_namespaced_stateful_set(namespace).items
        objects.daemonsets = cluster.apps.list_namespaced_daemon_set(namespace).items
        objects.cronjobs = cluster.batch.list_namespaced_cron_job(namespace).items
        objects.configmaps = cluster.core.list_namespaced_config_map(namespace).items
        objects.secrets = cluster.core.list_namespaced_secret(namespace).items
        objects.claims = cluster.core.list_namespaced_persistent_volume_claim(namespace).items
        objects.serviceaccounts = cluster.core.list_namespaced_service_account(namespace).items
    return objects


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


def references(pod: Any) -> list[tuple[str, str]]:
    """``(kind, name)`` of every object ``pod`` names: ConfigMaps, Secrets, claims, its ServiceAccount.

    The volume the API server injects into every pod for its token (``kube-api-access-*``) is
    left out, and so is the ServiceAccount ``default`` that a pod gets when it names none.
    """
    spec = pod.spec
    found: list[tuple[str, str]] = []
    for volume in spec.volumes or []:
        if volume.name.startswith(INJECTED_VOLUME):
            continue
        if volume.config_map:
            found.append(("ConfigMap", volume.config_map.name))
        if volume.secret:
            found.append(("Secret", volume.secret.secret_name))
        if volume.persistent_volume_claim:
            found.append(("PersistentVolumeClaim", volume.persistent_volume_claim.claim_name))
        for source in (volume.projected.sources or []) if volume.projected else []:
            if source.config_map:
                found.append(("ConfigMap", source.config_map.name))
            if source.secret:
                found.append(("Secret", source.secret.name))
    for container in [*(spec.init_containers or []), *spec.containers]:
        for var in container.env or []:
            ref = var.value_from
            if ref and ref.config_map_key_ref:
                found.append(("ConfigMap", ref.config_map_key_ref.name))
            if ref and ref.secret_key_ref:
                found.append(("Secret", ref.secret_key_ref.name))
        for source in container.env_from or []:
            if source.config_map_ref:
                found.append(("ConfigMap", source.config_map_ref.name))
            if source.secret_ref:
                found.append(("Secret", source.secret_ref.name))
    found += [("Secret", s.name) for s in spec.image_pull_secrets or []]
    if spec.service_account_name and spec.service_account_name != "default":
        found.append(("ServiceAccount", spec.service_account_name))
    return list(dict.fromkeys(found))


def build_graph(objects: NamespaceObjects, show_references: bool = False) -> Diagram:
    """Lay out the objects and their relations, with a legend.

    ``show_references`` adds the references by name from each pod; a referenced object that
    is not among ``objects`` is drawn as missing.
    """
    graph = Diagram(name=objects.namespace)
    graph.attr(rankdir="LR", fontname="Helvetica", fontsize="11", nodesep="0.25", ranksep="0.6")
    graph.attr("node", fontname="Helvetica", fontsize="10", style="filled")
    graph.attr("edge", fontname="Helvetica", fontsize="9")

    with graph.subgraph(name="cluster_namespace") as ns:
        ns.attr(label=f"namespace {objects.namespace}", style="rounded,dashed", color="#64748b")
        _add_objects(ns, objects)

    known = {node_id(k, o.metadata.name) for k, o in kinds_of(objects)}
    for kind, obj in kinds_of(objects):
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
    if show_references:
        _add_references(graph, objects, known)
    _add_legend(graph, [r for r in EDGES if show_references or r != "refers to"])
    return graph


def _add_references(graph: graphviz.Digraph, objects: NamespaceObjects, known: set[str]) -> None:
    missing: set[str] = set()
    for pod in objects.pods:
        for kind, name in references(pod):
            target = node_id(kind, name)
            if target not in known and target not in missing:
                missing.add(target)
                shape, colour = MISSING
                graph.node(target, f"{kind}\n{name}\nmissing", shape=shape, fillcolor=colour, style="filled,dashed")
            graph.edge(node_id("Pod", pod.metadata.name), target, **EDGES["refers to"])


def kinds_of(objects: NamespaceObjects) -> list[tuple[str, Any]]:
    return [
        *(("Deployment", o) for o in objects.deployments),
        *(("ReplicaSet", o) for o in objects.replicasets),
        *(("StatefulSet", o) for o in objects.statefulsets),
        *(("DaemonSet", o) for o in objects.daemonsets),
        *(("CronJob", o) for o in objects.cronjobs),
        *(("Job", o) for o in objects.jobs),
        *(("Pod", o) for o in objects.pods),
        *(("Service", o) for o in objects.services),
        *(("EndpointSlice", o) for o in objects.endpointslices),
        *(("ConfigMap", o) for o in objects.configmaps),
        *(("Secret", o) for o in objects.secrets),
        *(("PersistentVolumeClaim", o) for o in objects.claims),
        *(("ServiceAccount", o) for o in objects.serviceaccounts),
    ]


def _add_objects(graph: graphviz.Digraph, objects: NamespaceObjects) -> None:
    for kind, obj in kinds_of(objects):
        shape, colour = SHAPES[kind]
        detail = _detail(kind, obj)
        label = f"{kind}\n{obj.metadata.name}" + (f"\n{detail}" if detail else "")
        graph.node(node_id(kind, obj.metadata.name), label=label, shape=shape, fillcolor=colour)


def _detail(kind: str, obj: Any) -> str:
    if kind == "Pod":
        state = "Ready" if is_ready(obj) else (obj.status.phase or "")
        return f"{state} on {obj.spec.node_name}" if obj.spec.node_name else f"{state}, unscheduled"
    if kind in ("Deployment", "ReplicaSet", "StatefulSet"):
        return f"{obj.status.ready_replicas or 0}/{obj.spec.replicas} ready"
    if kind == "DaemonSet":
        return f"{obj.status.number_ready or 0}/{obj.status.desired_number_scheduled or 0} ready"
    if kind == "Service":
        return f"{obj.spec.type} {obj.spec.cluster_ip}"
    if kind == "Secret":
        return obj.type
    if kind == "PersistentVolumeClaim":
        return f"{obj.status.phase} {obj.spec.volume_name or ''}".strip()
    return ""


def _add_legend(graph: graphviz.Digraph, relations: list[str]) -> None:
    with graph.subgraph(name="cluster_legend") as legend:
        legend.attr(label="legend", style="rounded", color="#cbd5e1", fontsize="9")
        legend.attr("node", shape="plaintext", style="", fontsize="9", width="0", height="0")
        for relation in relations:
            style = EDGES[relation]
            legend.node(f"legend_{relation}_from", "")
            legend.node(f"legend_{relation}_to", relation)
            legend.edge(f"legend_{relation}_from", f"legend_{relation}_to", **style)
