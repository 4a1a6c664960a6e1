"""Explore a namespace: its objects drawn as the conceptual graph, and how many there are of each kind.

``explore(cluster, namespace)`` reads every kind ``threeplanes.kit.graph`` can draw
(workloads, pods, Services, EndpointSlices, ConfigMaps, Secrets, claims, ServiceAccounts) and
draws the three relations that hold an application together: ownership (owner references),
selection (a Service's label selector) and references by name (a pod naming a ConfigMap, a
Secret, a claim or a ServiceAccount; a name that matches nothing is drawn as missing). Beside
the graph, a table counts the objects of every namespaced kind the API serves, found through
discovery, so that kinds the graph does not draw (events, leases, roles...) are counted too.

The ConfigMap ``kube-root-ca.crt`` and the ServiceAccount ``default``, which the control plane
puts in every namespace, are counted but not drawn unless a pod names them.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import graphviz

from threeplanes.errors import ProvisioningError
from threeplanes.kit.cleanup import api_of, kinds
from threeplanes.kit.graph import NamespaceObjects, build_graph, kinds_of, read_namespace, references, require_dot
from threeplanes.kit.tables import Table

IN_EVERY_NAMESPACE = {("ConfigMap", "kube-root-ca.crt"), ("ServiceAccount", "default")}


def read_all(cluster: Any, namespace: str) -> NamespaceObjects:
    """Every object of ``namespace`` the graph can draw, read from the cluster."""
    objects = read_namespace(cluster, namespace, every_kind=True)
    named = {ref for pod in objects.pods for ref in references(pod)}
    objects.configmaps = _drop_defaults("ConfigMap", objects.configmaps, named)
    objects.serviceaccounts = _drop_defaults("ServiceAccount", objects.serviceaccounts, named)
    return objects


def _drop_defaults(kind: str, found: list[Any], named: set[tuple[str, str]]) -> list[Any]:
    return [o for o in found if (kind, o.metadata.name) not in IN_EVERY_NAMESPACE or (kind, o.metadata.name) in named]


def counts_by_kind(cluster: Any, namespace: str) -> dict[str, int]:
    """``{kind: number of objects}`` for every namespaced kind with objects in ``namespace``."""
    counts = {}
    for kind in kinds(cluster.api_client):
        if not kind.namespaced or kind.kind in counts or kind.kind == "Binding":
            continue
        try:
            items = api_of(cluster.api_client).get(kind.path(namespace=namespace)).get("items", [])
        except ProvisioningError:  # a kind this user may not list, or one that cannot be listed
            continue
        if items:
            counts[kind.kind] = len(items)
    return dict(sorted(counts.items()))


@dataclass
class Exploration:
    """A namespace explored: the graph, the counts, and the objects read. A notebook shows the first two."""

    namespace: str
    objects: NamespaceObjects
    graph: graphviz.Digraph
    counts: dict[str, int]

    @property
    def counts_table(self) -> Table:
        drawn = {kind for kind, _ in kinds_of(self.objects)}
        rows = [[kind, str(n), "yes" if kind in drawn else ""] for kind, n in self.counts.items()]
        return Table(["KIND", "OBJECTS", "DRAWN"], rows)

    def _repr_html_(self) -> str:
        svg = self.graph.pipe(format="svg", encoding="utf-8")
        title = f"<p><b>namespace {html.escape(self.namespace)}</b>: {sum(self.counts.values())} objects</p>"
        return f'<div class="threeplanes-explorer">{svg}{title}{self.counts_table._repr_html_()}</div>'

    def __str__(self) -> str:
        return f"namespace {self.namespace}\n{self.counts_table}"

    __repr__ = __str__


def explore(cluster: Any, namespace: str) -> Exploration:
    """Draw ``namespace`` as the conceptual graph (ownership, selection, references) and count its objects."""
    require_dot()
    objects = read_all(cluster, namespace)
    graph = build_graph(objects, show_references=True)
    return Exploration(namespace, objects, graph, counts_by_kind(cluster, namespace))
