"""Bin packing: what pods request, what nodes can give, and how full each node is.

The scheduler never measures a node: it adds up the *requests* of the pods bound to it and
compares the sum with the node's *allocatable* resources. A pod fits when its own request
does not exceed what is left. This module does the same sum from the pods, so a lab can show
the scheduler's arithmetic: ``node_loads`` per node, ``requests_table`` as a table and
``packing_chart`` as one bar per node, each pod a block in it.

Two facts the sums rest on. A pod marked for deletion (Terminating) still holds its requests
until its kubelet (on the simulated cluster: kwok) confirms that its containers stopped and the
pod object is removed; a finished pod (Succeeded or Failed) holds nothing. And the filter that
decides whether a pod fits (NodeResourcesFit) adds real requests, zero for a container that
declares none, while the scoring that ranks the nodes that fit counts such a container as
100m CPU and 200 MiB (``NONZERO_CPU``, ``NONZERO_MEMORY``: pkg/scheduler/util's
``DefaultMilliCPURequest`` and ``DefaultMemoryRequest``). ``History`` keeps every state a
watch delivered, so a lab can show a state that lasted less than a second.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from kubernetes.utils import parse_quantity

from threeplanes.errors import WaitTimeout
from threeplanes.kit.labels import expression_holds as _expression_holds
from threeplanes.kit.labels import field_of as _get
from threeplanes.kit.labels import selector_matches as selector_matches  # for the checkers, from the kit
from threeplanes.kit.pods import live
from threeplanes.kit.resources import cpu, memory, millicores
from threeplanes.kit.tables import Table, table
from threeplanes.kit.wait import Objects, is_ready, unschedulable_message, wait_for
from threeplanes.kit.watch import ListWatch

FINISHED = ("Succeeded", "Failed")
NONZERO_CPU = Decimal("0.1")  # what node scoring counts for a container without a CPU request
NONZERO_MEMORY = Decimal(200 * 2**20)  # ... and without a memory request (200 MiB)


def pod_level_requests(pod_spec: Any) -> dict[str, str]:
    """A pod spec's own requests (``spec.resources``, pod-level resources, beta and on by default since 1.34),
    empty when it states none: where set, they are what the scheduler counts, whatever the containers say."""
    return (pod_spec.resources and pod_spec.resources.requests) or {}


def pod_level_request(pod: Any, resource: str = "cpu") -> Decimal | None:
    """The pod's own request of ``resource``, or None (see ``pod_level_requests``)."""
    requests = pod_level_requests(pod.spec)
    return parse_quantity(requests[resource]) if resource in requests else None


def pod_request(pod: Any, resource: str = "cpu") -> Decimal:
    """What the scheduler reserves for ``pod``: its pod-level request if it has one, else the sum over its
    containers or the largest init container, whichever is more; plus the runtime's overhead."""
    overhead = parse_quantity((pod.spec.overhead or {}).get(resource, "0"))
    whole = pod_level_request(pod, resource)
    if whole is not None:
        return whole + overhead

    def requested(container: Any) -> Decimal:
        requests = (container.resources and container.resources.requests) or {}
        return parse_quantity(requests.get(resource, "0"))

    running = sum((requested(c) for c in pod.spec.containers), Decimal(0))
    init = max((requested(c) for c in pod.spec.init_containers or []), default=Decimal(0))
    return max(running, init) + overhead


def scoring_request(pod: Any, resource: str = "cpu") -> Decimal:
    """What node scoring (LeastAllocated) counts for ``pod``: each container's request, or the
    non-zero default where it declares none. (The filter counts ``pod_request``.)"""
    default = NONZERO_CPU if resource == "cpu" else NONZERO_MEMORY
    whole = pod_level_request(pod, resource)
    if whole is not None:
        return whole

    def counted(container: Any) -> Decimal:
        requests = (container.resources and container.resources.requests) or {}
        return parse_quantity(requests[resource]) if resource in requests else default

    return sum((counted(c) for c in pod.spec.containers), Decimal(0))


def holds_resources(pod: Any) -> bool:
    """Bound to a node and not finished: a Succeeded or Failed pod no longer counts against its node."""
    return bool(pod.spec.node_name) and pod.status.phase not in FINISHED


@dataclass
class NodeLoad:
    """One node's allocatable resources and the requests of the pods bound to it."""

    name: str
    allocatable_cpu: Decimal
    allocatable_memory: Decimal
    pods: dict[str, Decimal] = field(default_factory=dict)  # pod name -> CPU request
    requested_memory: Decimal = Decimal(0)

    @property
    def requested_cpu(self) -> Decimal:
        return sum(self.pods.values(), Decimal(0))

    @property
    def free_cpu(self) -> Decimal:
        return self.allocatable_cpu - self.requested_cpu


def node_loads(nodes: Objects, pods: Objects) -> list[NodeLoad]:
    """The load of each node, summed from the pods that hold resources on it."""
    loads = {
        n.metadata.name: NodeLoad(
            n.metadata.name, parse_quantity(n.status.allocatable["cpu"]), parse_quantity(n.status.allocatable["memory"])
        )
        for n in nodes
    }
    for pod in filter(holds_resources, pods):
        load = loads.get(pod.spec.node_name)
        if load is not None:
            load.pods[pod.metadata.name] = pod_request(pod, "cpu")
            load.requested_memory += pod_request(pod, "memory")
    return sorted(loads.values(), key=lambda load: load.name)


def requests_table(nodes: Objects, pods: Objects) -> Table:
    """Requested against allocatable, per node: the numbers the scheduler compares."""
    return table(
        node_loads(nodes, pods),
        {
            "NODE": lambda n: n.name,
            "PODS": lambda n: len(n.pods),
            "CPU REQUESTED": lambda n: cpu(n.requested_cpu),
            "CPU ALLOCATABLE": lambda n: cpu(n.allocatable_cpu),
            "CPU FREE": lambda n: cpu(n.free_cpu),
            "MEMORY REQUESTED": lambda n: memory(n.requested_memory),
            "MEMORY ALLOCATABLE": lambda n: memory(n.allocatable_memory),
        },
    )


def packing_chart(nodes: Objects, pods: Objects, title: str = "", highlight: tuple[str, ...] = ()) -> Any:
    """One horizontal bar per node: each pod a block as wide as its CPU request, the node's allocatable
    CPU as the frame. Pods that found no room are stacked, hatched, on a last row; the pods named in
    ``highlight`` are drawn in another colour."""
    import matplotlib.pyplot as plt

    loads = node_loads(nodes, pods)
    pending = {p.metadata.name: pod_request(p) for p in pods if not p.spec.node_name}
    rows = [(load.name, load.pods, load.allocatable_cpu) for load in loads]
    if pending:
        rows.append(("(no room: Pending)", pending, None))
    figure, axes = plt.subplots(figsize=(8, 0.8 + 0.7 * len(rows)))
    for y, (_, blocks, allocatable) in enumerate(rows):
        _draw_row(axes, y, blocks, allocatable, highlight)
    widest = max([millicores(load.allocatable_cpu) for load in loads] + [sum(map(millicores, pending.values()))])
    axes.set(yticks=range(len(rows)), yticklabels=[r[0] for r in rows], xlim=(0, widest * 1.05), title=title)
    axes.set_xlabel("CPU, millicores (frame: allocatable; blocks: requests of the pods bound to the node)")
    axes.invert_yaxis()
    figure.tight_layout()
    plt.close(figure)
    return figure


def _draw_row(
    axes: Any, y: int, blocks: dict[str, Decimal], allocatable: Decimal | None, highlight: tuple[str, ...]
) -> None:
    left = 0
    for name, request in sorted(blocks.items()):
        width = millicores(request)
        colour = "tab:orange" if name in highlight else "tab:blue"
        style = {"hatch": "//", "color": "mistyrose"} if allocatable is None else {"color": colour, "alpha": 0.6}
        axes.barh(y, width, left=left, height=0.6, edgecolor="white", **style)
        axes.text(left + width / 2, y, name.rsplit("-", 1)[-1], ha="center", va="center", fontsize=7)
        left += width
    if allocatable is not None:
        axes.barh(y, millicores(allocatable), height=0.8, fill=False, edgecolor="black", linewidth=1.5)


def wait_for_placement(
    cluster: Any, namespace: str, selector: str, ready: int, pending: int, timeout: float = 30
) -> Objects:
    """Wait until, among the live pods matching ``selector``, ``ready`` are Ready and ``pending`` are
    refused by the scheduler (PodScheduled False), and no other pod is left; return those pods."""

    def counts(pods: Objects) -> tuple[int, int, int]:
        refused = sum(unschedulable_message(p) is not None for p in live(pods))
        return sum(is_ready(p) for p in live(pods)), refused, len(live(pods))

    found = wait_for(
        cluster.core.list_namespaced_pod,
        lambda pods: counts(pods) == (ready, pending, ready + pending),
        what=f"{ready} pod(s) {selector!r} Ready and {pending} refused by the scheduler",
        describe=lambda pods: "{} Ready, {} refused, {} live".format(*counts(pods)),
        timeout=timeout,
        namespace=namespace,
        label_selector=selector,
    )
    return live(found)


def wait_for_adoption(cluster: Any, namespace: str, name: str, owner: str, timeout: float = 30) -> Any:
    """Wait until ReplicaSet ``name`` has a controller owner reference to Deployment ``owner``."""

    def owners(rs: Any) -> list[str]:
        return [o.name for o in rs.metadata.owner_references or [] if o.kind == "Deployment" and o.controller]

    found = wait_for(
        cluster.apps.list_namespaced_replica_set,
        lambda sets: bool(sets) and owners(sets[0]) == [owner],
        what=f"Deployment {owner} to adopt ReplicaSet {namespace}/{name}",
        describe=lambda sets: f"owned by {owners(sets[0]) or 'nobody'}" if sets else "no such ReplicaSet",
        timeout=timeout,
        namespace=namespace,
        field_selector=f"metadata.name={name}",
    )
    return found[0]


class History:
    """Every state a watch delivers of the objects ``list_fn(**list_kwargs)`` returns, kept
    after they are deleted: created before the objects, it sees states too short to catch
    with a list."""

    def __init__(self, list_fn: Any, **list_kwargs: Any) -> None:
        self.states: dict[tuple[str, str], Any] = {}  # (name, resourceVersion) -> that state
        self._watch = ListWatch(list_fn, on_change=self._record, **list_kwargs)

    def _record(self, objects: Objects) -> None:
        for obj in objects:
            self.states.setdefault((obj.metadata.name, obj.metadata.resource_version), obj)

    def seen(self, condition: Any) -> Objects:
        """The states, oldest first, that satisfy ``condition``."""
        return [s for s in self.states.values() if condition(s)]

    def wait(self, condition: Any, what: str, timeout: float = 30) -> Any:
        """Follow the watch until some state satisfies ``condition``; return the first that did."""
        if not self._watch.follow(lambda _: bool(self.seen(condition)), time.monotonic() + timeout):
            raise WaitTimeout(f"Waited {timeout:g} s for {what}; it did not happen.")
        return self.seen(condition)[0]

    def follow(self, until: Any, what: str, timeout: float = 30) -> Objects:
        """Follow the watch until ``until(objects now)`` holds; return the objects now."""
        if not self._watch.follow(until, time.monotonic() + timeout):
            raise WaitTimeout(f"Waited {timeout:g} s for {what}; it did not happen.")
        return self._watch.objects


# --- What the scheduler allows: selectors, node affinity, tolerations -------------------------


def tolerates(toleration: Any, taint: Any) -> bool:
    """Whether one toleration tolerates one taint (the rules of the API's ``ToleratesTaint``)."""
    effect = _get(toleration, "effect", "effect")
    if effect and effect != _get(taint, "effect", "effect"):
        return False
    key = _get(toleration, "key", "key")
    if key and key != _get(taint, "key", "key"):
        return False
    if (_get(toleration, "operator", "operator") or "Equal") == "Exists":
        return True
    return (_get(toleration, "value", "value") or "") == (_get(taint, "value", "value") or "")


def _node_affinity_allows(spec: Any, node: Any) -> bool:
    affinity = _get(spec, "affinity", "affinity")
    node_affinity = affinity and _get(affinity, "node_affinity", "nodeAffinity")
    required = node_affinity and _get(
        node_affinity,
        "required_during_scheduling_ignored_during_execution",
        "requiredDuringSchedulingIgnoredDuringExecution",
    )
    if not required:
        return True
    labels, fields = node.metadata.labels or {}, {"metadata.name": node.metadata.name}
    for term in _get(required, "node_selector_terms", "nodeSelectorTerms") or []:
        expressions = _get(term, "match_expressions", "matchExpressions") or []
        by_field = _get(term, "match_fields", "matchFields") or []
        if not expressions and not by_field:
            continue  # an empty term selects no node
        if all(_expression_holds(e, labels.get(_get(e, "key", "key"))) for e in expressions) and all(
            _expression_holds(e, fields.get(_get(e, "key", "key"))) for e in by_field
        ):
            return True
    return False


def allows_node(spec: Any, node: Any) -> bool:
    """Whether a pod spec may be scheduled onto ``node`` as far as labels and taints go: its
    nodeSelector and required node affinity select the node, and its tolerations tolerate every
    ``NoSchedule`` and ``NoExecute`` taint of the node. (Resources are another matter.)"""
    labels = node.metadata.labels or {}
    selector = _get(spec, "node_selector", "nodeSelector") or {}
    if any(labels.get(k) != v for k, v in selector.items()):
        return False
    if not _node_affinity_allows(spec, node):
        return False
    tolerations = _get(spec, "tolerations", "tolerations") or []
    hard = [t for t in node.spec.taints or [] if t.effect in ("NoSchedule", "NoExecute")]
    return all(any(tolerates(tol, t) for tol in tolerations) for t in hard)


def allowed_nodes(spec: Any, nodes: Objects) -> list[str]:
    """The names of the ``nodes`` a pod spec may land on (see ``allows_node``)."""
    return sorted(n.metadata.name for n in nodes if allows_node(spec, n))
