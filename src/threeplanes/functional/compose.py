"""A score and how it is played: one multi-document manifest, traced back to the controllers.

The functional plane's closing lab applies a whole application at once (the *score*), then
asks the cluster who picked up each object. Two records answer: the events each controller
writes (``reportingComponent``, or ``source.component`` on older events) and the owner
references the controllers put on what they create. This module reads both, draws the
objects the plain object graph leaves out (ConfigMaps, HorizontalPodAutoscalers), and maps
every part of the score to the promise of Kubernetes it relies on.

It also holds the small cron reader the composition exercise uses to tell a nightly
schedule from an hourly one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import graphviz
import yaml

from threeplanes.functional.services import SERVICE_NAME_LABEL, ready_endpoints
from threeplanes.kit.events import reporter
from threeplanes.kit.graph import node_id, object_graph
from threeplanes.kit.tables import Table, table
from threeplanes.kit.wait import Objects, wait_for

ROOT_CA = "kube-root-ca.crt"  # the ConfigMap every namespace gets from the control plane
SLICE_MANAGER = "endpointslice.kubernetes.io/managed-by"
SCORE_EDGES = {
    "scales": {"style": "bold", "color": "#7c3aed"},
    "reads": {"style": "dashed", "color": "#0f766e"},
}
SCORE_SHAPES = {"ConfigMap": ("folder", "#ccfbf1"), "HorizontalPodAutoscaler": ("cds", "#ede9fe")}


# --- The score -------------------------------------------------------------------------------


def score_documents(text: str) -> list[dict[str, Any]]:
    """The objects of a multi-document YAML manifest, in order, empty documents left out."""
    return [doc for doc in yaml.safe_load_all(text) if doc]


def score_table(documents: list[dict[str, Any]]) -> Table:
    return table(
        documents,
        {
            "KIND": lambda d: d["kind"],
            "NAME": lambda d: d["metadata"]["name"],
            "API VERSION": lambda d: d["apiVersion"],
        },
    )


def images_in(documents: list[dict[str, Any]]) -> set[str]:
    """Every container image the score names, wherever its pod template sits."""
    found: set[str] = set()
    for doc in documents:
        spec = doc.get("spec", {})
        for template in (spec.get("template"), spec.get("jobTemplate", {}).get("spec", {}).get("template")):
            for container in ((template or {}).get("spec") or {}).get("containers", []):
                found.add(container["image"])
    return found


# --- Who picked up what: events --------------------------------------------------------------


def reported(events: Objects, components: set[str], reasons: dict[str, int]) -> bool:
    """True when every component in ``components`` wrote an event, and each reason appears often enough."""
    counts: dict[str, int] = {}
    for event in events:
        counts[event.reason] = counts.get(event.reason, 0) + 1
    return components <= {reporter(e) for e in events} and all(counts.get(r, 0) >= n for r, n in reasons.items())


def wait_for_reporters(
    cluster: Any, namespace: str, components: set[str], reasons: dict[str, int] | None = None, timeout: float = 30
) -> Objects:
    """Wait until events from every one of ``components`` (and ``reasons``, at least so many times each)
    have reached the namespace; return the events."""
    return wait_for(
        cluster.core.list_namespaced_event,
        lambda events: reported(events, components, reasons or {}),
        what=f"events from {', '.join(sorted(components))} in {namespace}",
        describe=lambda events: f"events {sorted({(reporter(e), e.reason) for e in events})}",
        timeout=timeout,
        namespace=namespace,
    )


# --- Waiting for a Service's endpoints ------------------------------------------------------


def wait_for_ready_endpoints(cluster: Any, namespace: str, service: str, count: int, timeout: float = 30) -> Objects:
    """Wait until the EndpointSlices of ``service`` list exactly ``count`` ready endpoints; return the slices."""
    return wait_for(
        cluster.discovery.list_namespaced_endpoint_slice,
        lambda slices: len(ready_endpoints(slices)) == count,
        what=f"Service {namespace}/{service} to have {count} ready endpoints",
        describe=lambda slices: f"{len(ready_endpoints(slices))} ready endpoints in {len(slices)} EndpointSlice(s)",
        timeout=timeout,
        namespace=namespace,
        label_selector=f"{SERVICE_NAME_LABEL}={service}",
    )


# --- Who picked up what: owner references ----------------------------------------------------


def controller_owner(obj: Any) -> Any | None:
    """The owner reference marked ``controller: true``, if any: the one object that manages this one."""
    return next((ref for ref in obj.metadata.owner_references or [] if ref.controller), None)


def namespace_objects(cluster: Any, namespace: str) -> list[tuple[str, Any]]:
    """(kind, object) for the kinds the score touches, read from the cluster."""
    listers = {
        "ConfigMap": cluster.core.list_namespaced_config_map,
        "Deployment": cluster.apps.list_namespaced_deployment,
        "ReplicaSet": cluster.apps.list_namespaced_replica_set,
        "Pod": cluster.core.list_namespaced_pod,
        "Service": cluster.core.list_namespaced_service,
        "EndpointSlice": cluster.discovery.list_namespaced_endpoint_slice,
        "HorizontalPodAutoscaler": cluster.autoscaling.list_namespaced_horizontal_pod_autoscaler,
        "Job": cluster.batch.list_namespaced_job,
    }
    found = [(kind, obj) for kind, list_all in listers.items() for obj in list_all(namespace).items]
    return [(kind, obj) for kind, obj in found if (kind, obj.metadata.name) != ("ConfigMap", ROOT_CA)]


def _owner_name(obj: Any) -> str:
    ref = controller_owner(obj)
    return f"{ref.kind}/{ref.name}" if ref else "(nobody: you wrote it)"


def owners_table(objects: list[tuple[str, Any]]) -> Table:
    """One row per object: its controlling owner, and the label a managing controller left on it."""
    return table(
        objects,
        {
            "OBJECT": lambda ko: f"{ko[0]}/{ko[1].metadata.name}",
            "OWNED BY": lambda ko: _owner_name(ko[1]),
            "MANAGED BY (label)": lambda ko: (ko[1].metadata.labels or {}).get(SLICE_MANAGER),
        },
    )


# --- What the pods read ----------------------------------------------------------------------


def configmaps_read(pod_spec: Any) -> set[str]:
    """Names of the ConfigMaps a pod spec reads: through env, envFrom, or a volume."""
    names: set[str] = set()
    for container in [*(pod_spec.init_containers or []), *(pod_spec.containers or [])]:
        for env in container.env or []:
            ref = env.value_from.config_map_key_ref if env.value_from else None
            if ref is not None:
                names.add(ref.name)
        names.update(src.config_map_ref.name for src in container.env_from or [] if src.config_map_ref)
    for volume in pod_spec.volumes or []:
        if volume.config_map:
            names.add(volume.config_map.name)
        for source in volume.projected.sources or [] if volume.projected else []:
            if source.config_map:
                names.add(source.config_map.name)
    return names


# --- The picture -----------------------------------------------------------------------------


def add_score_objects(
    graph: graphviz.Digraph, configmaps: Objects, autoscalers: Objects, pods: Objects
) -> graphviz.Digraph:
    """Add ConfigMaps (read by pods) and HorizontalPodAutoscalers (scaling their target) to an object graph."""
    with graph.subgraph(name="cluster_namespace") as ns:
        for kind, objs in (("ConfigMap", configmaps), ("HorizontalPodAutoscaler", autoscalers)):
            shape, colour = SCORE_SHAPES[kind]
            for obj in objs:
                ns.node(node_id(kind, obj.metadata.name), f"{kind}\n{obj.metadata.name}", shape=shape, fillcolor=colour)
    for hpa in autoscalers:
        target = hpa.spec.scale_target_ref
        source = node_id("HorizontalPodAutoscaler", hpa.metadata.name)
        graph.edge(source, node_id(target.kind, target.name), **SCORE_EDGES["scales"])
    known = {cm.metadata.name for cm in configmaps}
    for pod in pods:
        for name in sorted(configmaps_read(pod.spec) & known):
            graph.edge(node_id("Pod", pod.metadata.name), node_id("ConfigMap", name), **SCORE_EDGES["reads"])
    with graph.subgraph(name="cluster_legend") as legend:
        for relation, style in SCORE_EDGES.items():
            legend.node(f"legend_{relation}_from", "")
            legend.node(f"legend_{relation}_to", relation)
            legend.edge(f"legend_{relation}_from", f"legend_{relation}_to", **style)
    return graph


def score_graph(cluster: Any, namespace: str) -> graphviz.Digraph:
    """The object graph of ``namespace``, with its ConfigMaps and HorizontalPodAutoscalers added."""
    configmaps = [cm for cm in cluster.core.list_namespaced_config_map(namespace).items if cm.metadata.name != ROOT_CA]
    autoscalers = cluster.autoscaling.list_namespaced_horizontal_pod_autoscaler(namespace).items
    pods = cluster.core.list_namespaced_pod(namespace).items
    return add_score_objects(object_graph(cluster, namespace), configmaps, autoscalers, pods)


# --- Object, promise, controller -------------------------------------------------------------


@dataclass(frozen=True)
class Role:
    """One part of a score: what the reader writes, the promise it relies on, who keeps that promise."""

    written: str
    kind: str
    promise: str
    keeper: str


ROLES = [
    Role(
        "Deployment: pod template and update strategy",
        "Deployment",
        "F3 rollouts and rollbacks",
        "deployment-controller",
    ),
    Role("Deployment: replica count, held by its ReplicaSet", "ReplicaSet", "F6 self-healing", "replicaset-controller"),
    Role("resources.requests in the pod template", "Pod", "F5 bin packing", "default-scheduler"),
    Role("Service", "Service", "F1 service discovery and load balancing", "endpointslice-controller"),
    Role("ConfigMap, read through env", "ConfigMap", "F7 configuration and secrets", "kubelet"),
    Role("HorizontalPodAutoscaler", "HorizontalPodAutoscaler", "F8 horizontal scaling", "horizontal-pod-autoscaler"),
    Role("Job", "Job", "F4 batch execution", "job-controller"),
    Role("PersistentVolumeClaim", "PersistentVolumeClaim", "F2 storage orchestration", "persistentvolume-controller"),
]
DECLARED = "declared"


@dataclass
class Observed:
    """What the cluster recorded about a played score: its events, EndpointSlices and pods, and
    the kinds of object the namespace holds."""

    events: Objects = field(default_factory=list)
    endpointslices: Objects = field(default_factory=list)
    pods: Objects = field(default_factory=list)
    kinds: set[str] = field(default_factory=set)


def observe(cluster: Any, namespace: str) -> Observed:
    return Observed(
        events=cluster.core.list_namespaced_event(namespace).items,
        endpointslices=cluster.discovery.list_namespaced_endpoint_slice(namespace).items,
        pods=cluster.core.list_namespaced_pod(namespace).items,
        kinds={kind for kind, _ in namespace_objects(cluster, namespace)},
    )


@dataclass(frozen=True)
class Evidence:
    """What shows a role at work: ``by`` is the component that left the trace, or ``declared``
    when the only trace is what the score itself wrote; ``what`` says where it is."""

    by: str
    what: str


def evidence(role: Role, seen: Observed) -> Evidence | None:
    """Where the cluster shows that ``role.keeper`` acted for an object of ``role.kind``.

    An event its keeper wrote counts, and so does the label the EndpointSlice controller puts on
    the slices it manages. A ConfigMap is read by the kubelet when it starts a container: an
    event the kubelet wrote on a pod that reads the ConfigMap counts; without one (simulated
    nodes write none), the pod specs that name it are only a declaration.
    """
    for event in seen.events:
        if event.involved_object.kind == role.kind and reporter(event) == role.keeper:
            return Evidence(role.keeper, f"event {event.reason} on {role.kind}/{event.involved_object.name}")
    if role.kind == "Service":
        for eps in seen.endpointslices:
            if (eps.metadata.labels or {}).get(SLICE_MANAGER, "").startswith(role.keeper):
                service = eps.metadata.labels.get(SERVICE_NAME_LABEL)
                return Evidence(role.keeper, f"EndpointSlice {eps.metadata.name} for Service/{service}")
    if role.kind == "ConfigMap":
        return _configmap_evidence(role, seen)
    return None


def _configmap_evidence(role: Role, seen: Observed) -> Evidence | None:
    read = {p.metadata.name: sorted(configmaps_read(p.spec) - {ROOT_CA}) for p in seen.pods}
    readers = {name: names for name, names in read.items() if names}
    if not readers:
        return None
    configmap = next(iter(readers.values()))[0]
    for event in seen.events:
        pod = event.involved_object.name
        if event.involved_object.kind == "Pod" and pod in readers and reporter(event) == role.keeper:
            return Evidence(role.keeper, f"event {event.reason} on Pod/{pod}, which reads ConfigMap/{configmap}")
    return Evidence(DECLARED, f"{len(readers)} pod spec(s) name ConfigMap/{configmap}; no kubelet event")


def promises_table(seen: Observed) -> Table:
    """One row per part of the score the namespace holds: its promise, who showed it kept, and where.

    Parts whose kind the namespace does not hold get no row; a part with no trace reads ``-``.
    """
    present = [role for role in ROLES if role.kind in seen.kinds]
    found = {role.kind: evidence(role, seen) for role in present}
    return table(
        present,
        {
            "IN THE SCORE": lambda r: r.written,
            "PROMISE": lambda r: r.promise,
            "KEPT BY": lambda r: found[r.kind].by if found[r.kind] else "-",
            "SEEN HERE": lambda r: found[r.kind].what if found[r.kind] else "-",
        },
    )


# --- Reading a cron schedule -----------------------------------------------------------------

CRON_MACROS = {"@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"}
CRON_RANGES = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 6)]


def cron_field(text: str, low: int, high: int) -> set[int]:
    """The values one cron field matches: ``*``, ``*/n``, ``a``, ``a-b``, ``a-b/n`` and lists of them."""
    values: set[int] = set()
    for part in text.split(","):
        base, _, step = part.partition("/")
        if base in ("*", "?"):
            start, stop = low, high
        elif "-" in base:
            start, stop = (int(v) for v in base.split("-", 1))
        else:
            start = int(base)
            stop = high if step else start
        values.update(range(start, stop + 1, int(step) if step else 1))
    return values


def daily_times(schedule: str) -> list[tuple[int, int]] | None:
    """The (hour, minute) pairs at which a schedule fires on every day, or None when it skips some days.

    Names of months or weekdays, and ``L``/``W``/``#``, are not read: they return None.
    """
    fields = CRON_MACROS.get(schedule.strip(), schedule).split()
    if len(fields) != 5:
        return None
    try:
        minutes, hours, *days = (cron_field(f, lo, hi) for f, (lo, hi) in zip(fields, CRON_RANGES, strict=True))
    except ValueError:
        return None
    if any(days[i] != cron_field("*", *CRON_RANGES[i + 2]) for i in range(3)):
        return None
    return sorted((h, m) for h in hours for m in minutes)
