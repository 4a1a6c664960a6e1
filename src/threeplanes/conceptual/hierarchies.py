"""Two hierarchies over the same pods: ownership (owner references) and selection (labels and selectors).

Ownership is written on the dependent: a Pod's ``metadata.ownerReferences`` names its
ReplicaSet, whose own names its Deployment. The garbage collector in kube-controller-manager
follows those references when an owner is deleted: it deletes the dependents (background or
foreground cascading) or strips the references and leaves them (orphaning). Selection is
written on the selector: a Service names labels, and whatever pods carry them are its pods,
today. Neither relation knows about the other, which is why the two graphs differ.
"""

from __future__ import annotations

import json
from typing import Any

import graphviz

from threeplanes.kit.graph import EDGES, SHAPES, NamespaceObjects, node_id, read_namespace, require_dot, selects

FOREGROUND = "foregroundDeletion"  # the finalizer that holds an owner until its blocking dependents are gone
ORPHAN = "orphan"  # the finalizer under which the garbage collector strips its dependents' references


def controller_of(obj: Any) -> Any | None:
    """The owner reference marked ``controller: true``: the one owner that manages ``obj``."""
    return next((ref for ref in obj.metadata.owner_references or [] if ref.controller), None)


def owner_chain(objects: NamespaceObjects, kind: str, name: str) -> list[str]:
    """``kind/name`` followed by its controller, that one's controller, and so on up to an object nobody owns."""
    found = {node_id(k, o.metadata.name): o for k, o in _objects(objects)}
    chain = [node_id(kind, name)]
    while (ref := controller_of(found[chain[-1]])) is not None and node_id(ref.kind, ref.name) in found:
        chain.append(node_id(ref.kind, ref.name))
    return chain


def selected_by(objects: NamespaceObjects, pod: Any) -> list[str]:
    """The Services whose selector matches ``pod``'s labels."""
    return [
        node_id("Service", s.metadata.name) for s in objects.services if selects(s.spec.selector, pod.metadata.labels)
    ]


def selecting_nothing(objects: NamespaceObjects) -> dict[str, dict[str, str]]:
    """Services that have a selector but match no pod: name -> their selector."""
    return {
        s.metadata.name: s.spec.selector
        for s in objects.services
        if s.spec.selector and not any(selects(s.spec.selector, p.metadata.labels) for p in objects.pods)
    }


def nearest_labels(objects: NamespaceObjects, selector: dict[str, str]) -> dict[str, set[str]]:
    """For each key of ``selector``: the values the namespace's pods really carry under it."""
    return {key: {(p.metadata.labels or {}).get(key, "(none)") for p in objects.pods} for key in selector}


def _objects(objects: NamespaceObjects) -> list[tuple[str, Any]]:
    return [
        *(("Deployment", o) for o in objects.deployments),
        *(("ReplicaSet", o) for o in objects.replicasets),
        *(("Job", o) for o in objects.jobs),
        *(("Pod", o) for o in objects.pods),
        *(("Service", o) for o in objects.services),
    ]


def _labels(obj: Any) -> str:
    """The labels a person wrote: not the template hash, nor the topology labels copied from the node."""
    shown = {k: v for k, v in (obj.metadata.labels or {}).items() if "hash" not in k and "topology." not in k}
    return "\n".join(f"{k}={v}" for k, v in sorted(shown.items()))


def relation_graph(objects: NamespaceObjects, relation: str) -> Any:
    """The namespace's workloads, pods and Services with one relation only: ``owns`` or ``selects``."""
    graph = graphviz.Digraph(name=f"{objects.namespace}-{relation}")
    graph.attr(rankdir="LR", fontname="Helvetica", fontsize="11", label=f"relation: {relation}", labelloc="t")
    graph.attr("node", fontname="Helvetica", fontsize="9", style="filled")
    for kind, obj in _objects(objects):
        shape, colour = SHAPES[kind]
        if kind == "Service":
            detail = "selector " + ",".join(f"{k}={v}" for k, v in sorted((obj.spec.selector or {}).items()))
        else:
            detail = _labels(obj)
        graph.node(
            node_id(kind, obj.metadata.name), f"{kind}\n{obj.metadata.name}\n{detail}", shape=shape, fillcolor=colour
        )
    for kind, obj in _objects(objects):
        if relation == "owns":
            for ref in obj.metadata.owner_references or []:
                graph.edge(node_id(ref.kind, ref.name), node_id(kind, obj.metadata.name), **EDGES["owns"])
        elif kind == "Service":
            for pod in objects.pods:
                if selects(obj.spec.selector, pod.metadata.labels):
                    graph.edge(node_id(kind, obj.metadata.name), node_id("Pod", pod.metadata.name), **EDGES["selects"])
    with graph.subgraph(name="cluster_legend") as legend:
        legend.attr(label="legend", style="rounded", color="#cbd5e1", fontsize="9")
        legend.attr("node", shape="plaintext", style="", fontsize="9", width="0", height="0")
        meaning = {"owns": "owner -> dependent (ownerReferences)", "selects": "selector -> matching pod (labels)"}
        legend.node("legend_from", "")
        legend.node("legend_to", meaning[relation])
        legend.edge("legend_from", "legend_to", **EDGES[relation])
    return graph


def ownership_graph(cluster: Any, namespace: str) -> Any:
    """Who owns whom in ``namespace``, from owner references, drawn live."""
    require_dot()
    return relation_graph(read_namespace(cluster, namespace), "owns")


def selection_graph(cluster: Any, namespace: str) -> Any:
    """Which Service selects which pods in ``namespace``, from selectors and labels, drawn live."""
    require_dot()
    return relation_graph(read_namespace(cluster, namespace), "selects")


def delete_deployment(cluster: Any, namespace: str, name: str, policy: str) -> dict[str, Any]:
    """Delete Deployment ``name`` with ``propagationPolicy`` ``policy``; the API server's answer as a dict.

    With Foreground or Orphan the answer is the Deployment itself, still there, with a deletion
    timestamp and the finalizer the garbage collector will act on; with Background it is a Status.
    """
    response = cluster.api_client.call_api(
        f"/apis/apps/v1/namespaces/{namespace}/deployments/{name}",
        "DELETE",
        body={"propagationPolicy": policy},
        header_params={"Content-Type": "application/json", "Accept": "application/json"},
        auth_settings=["BearerToken"],
        _preload_content=False,
        _request_timeout=20,
    )
    return json.loads(response.data)


def remove_finalizer(read: Any, patch: Any, name: str, namespace: str, finalizer: str) -> None:
    """Remove one finalizer from an object, leaving the others (a JSON patch guarded by a test)."""
    finalizers = read(name, namespace).metadata.finalizers or []
    if finalizer in finalizers:
        index = finalizers.index(finalizer)
        operations = [
            {"op": "test", "path": f"/metadata/finalizers/{index}", "value": finalizer},
            {"op": "remove", "path": f"/metadata/finalizers/{index}"},
        ]
        patch(name, namespace, operations)


def owned_by_deployment(replicasets: list[Any], pods: list[Any], deployment: str) -> list[Any]:
    """The pods whose controlling owner is a ReplicaSet whose controlling owner is Deployment ``deployment``."""
    sets = set()
    for rs in replicasets:
        ref = controller_of(rs)
        if ref is not None and (ref.kind, ref.name) == ("Deployment", deployment):
            sets.add(rs.metadata.name)
    return [p for p in pods if (ref := controller_of(p)) is not None and ref.kind == "ReplicaSet" and ref.name in sets]
