"""Adding and removing capacity: nodes of a lab's own, simulated CPU load, autoscalers, drains.

A lab that scales must not touch the shared workers, so it builds a small *pool* of
simulated nodes of its own (``NodePool``): tainted so no other pod lands there, labelled so
its own pods can select them, and annotated so metrics-server knows where kwok serves each
node's resource metrics. The CPU a pod reports is set by its ``kwok.x-k8s.io/usage-cpu``
annotation (``set_cpu_usage``); the HorizontalPodAutoscaler reads it through the
``metrics.k8s.io`` API like any real usage. ``HpaTimeline`` records what an HPA decided, from a
watch, and plots it. ``drain`` cordons a node and evicts its pods through the Eviction API,
which honours PodDisruptionBudgets.
"""

from __future__ import annotations

import atexit
import time
from dataclasses import dataclass, field
from typing import Any

from kubernetes import client

from threeplanes.provision.nodes import METRICS_PATH_ANNOTATION, Node
from threeplanes.wait import Objects, named, wait_for, wait_for_gone

PART_OF = "app.kubernetes.io/part-of"
LAB_LABEL = "threeplanes.io/lab"
POOL_LABEL = "threeplanes.io/pool"
USAGE_CPU = "kwok.x-k8s.io/usage-cpu"
METRICS_PATH = METRICS_PATH_ANNOTATION


def metered(body: dict[str, Any]) -> dict[str, Any]:
    """Tell metrics-server where kwok serves this simulated node's resource metrics."""
    name = body["metadata"]["name"]
    annotations = body["metadata"].setdefault("annotations", {})
    annotations.setdefault(METRICS_PATH, f"/metrics/nodes/{name}/metrics/resource")
    return body


@dataclass(frozen=True)
class NodePool:
    """Simulated nodes that belong to one lab run: ``<pool>-<name>``, tainted and labelled for it."""

    pool: str  # unique per run, e.g. the lab's namespace
    lab: str  # the lab's file stem (or ``exercise-<id>``), for the leftover check
    zone: str = "zone-a"

    @property
    def taint(self) -> dict[str, str]:
        return {"key": POOL_LABEL, "value": self.pool, "effect": "NoSchedule"}

    @property
    def selector(self) -> str:
        return f"{POOL_LABEL}={self.pool}"

    def node(self, name: str, cpu: str = "4", memory: str = "16Gi") -> dict[str, Any]:
        """The body of a simulated node of this pool."""
        labels = {PART_OF: "threeplanes", LAB_LABEL: self.lab, POOL_LABEL: self.pool}
        node = Node(f"{self.pool}-{name}", zone=self.zone, cpu=cpu, memory=memory, labels=labels, taints=(self.taint,))
        return metered(node.body())

    def placement(self) -> dict[str, Any]:
        """What a pod spec needs to run on this pool: a nodeSelector and the matching toleration."""
        return {
            "nodeSelector": {POOL_LABEL: self.pool},
            "tolerations": [{"key": POOL_LABEL, "operator": "Equal", "value": self.pool, "effect": "NoSchedule"}],
        }

    def create(self, cluster: Any, name: str, cpu: str = "4", remove_at_exit: bool = True, timeout: float = 30) -> Any:
        """Create node ``<pool>-<name>`` and wait until it is schedulable.

        ``remove_at_exit`` deletes the pool when the Python process ends (a notebook's kernel),
        in case a lab stops before its clean-up; a setup script that leaves the node to the
        reader passes False.
        """
        body = self.node(name, cpu)
        cluster.core.create_node(body)
        if remove_at_exit:
            atexit.register(self._delete_quietly, cluster)
        return wait_for_schedulable(cluster, body["metadata"]["name"], timeout=timeout)

    def nodes(self, cluster: Any) -> Objects:
        return cluster.core.list_node(label_selector=self.selector).items

    def delete(self, cluster: Any, timeout: float = 60) -> None:
        """Delete every node of the pool (and any pod still bound to it) and wait until they are gone."""
        for node in self.nodes(cluster):
            delete_node(cluster, node.metadata.name, timeout=timeout)

    def delete_stale(self, cluster: Any) -> list[str]:
        """Delete the nodes an interrupted earlier run of the same lab left behind (other pools, same lab)."""
        stale = [
            n.metadata.name
            for n in cluster.core.list_node(label_selector=f"{LAB_LABEL}={self.lab}").items
            if (n.metadata.labels or {}).get(POOL_LABEL) != self.pool
        ]
        for name in stale:
            delete_node(cluster, name)
        return stale

    def _delete_quietly(self, cluster: Any) -> None:
        try:
            self.delete(cluster, timeout=20)
        except Exception:  # the process is exiting: nothing useful can be said any more
            pass


def schedulable(node: Any) -> bool:
    """Ready, and rid of the taints the node controller puts on a node that is not (yet) ready."""
    ready = any(c.type == "Ready" and c.status == "True" for c in node.status.conditions or [])
    taints = {t.key for t in node.spec.taints or []}
    return ready and not taints & {"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"}


def wait_for_schedulable(cluster: Any, name: str, timeout: float = 30) -> Any:
    """Wait until node ``name`` is Ready and the node controller has lifted its not-ready taint."""
    found = wait_for(
        cluster.core.list_node,
        lambda nodes: bool(nodes) and schedulable(nodes[0]),
        what=f"node {name} to be Ready and schedulable",
        describe=lambda nodes: f"taints {nodes[0].spec.taints}, Ready={schedulable(nodes[0])}" if nodes else "no node",
        timeout=timeout,
        **named(name),
    )
    return found[0]


def delete_node(cluster: Any, name: str, timeout: float = 60) -> None:
    """Delete node ``name`` and wait until it is gone.

    Pods still bound to it are deleted first, at once: once its node is gone, no kubelet (here,
    no kwok) would ever confirm their deletion, and they would stay Terminating.
    """
    for pod in cluster.core.list_pod_for_all_namespaces(field_selector=f"spec.nodeName={name}").items:
        try:
            cluster.core.delete_namespaced_pod(pod.metadata.name, pod.metadata.namespace, grace_period_seconds=0)
        except client.ApiException as error:
            if error.status != 404:
                raise
    try:
        cluster.core.delete_node(name)
    except client.ApiException as error:
        if error.status != 404:
            raise
    wait_for_gone(cluster.core.list_node, name, what=f"node {name}", timeout=timeout)


# --- Simulated load and the metrics API -------------------------------------------------------


def live_pods(cluster: Any, namespace: str, selector: str) -> Objects:
    pods = cluster.core.list_namespaced_pod(namespace, label_selector=selector).items
    return [p for p in pods if not p.metadata.deletion_timestamp]


def set_cpu_usage(cluster: Any, namespace: str, selector: str, cpu: str) -> list[str]:
    """Make every pod matching ``selector`` report ``cpu`` of usage; return the pods' names."""
    patch = {"metadata": {"annotations": {USAGE_CPU: cpu}}}
    names = [p.metadata.name for p in live_pods(cluster, namespace, selector)]
    for name in names:
        cluster.core.patch_namespaced_pod(name, namespace, patch)
    return names


def millicores(quantity: str) -> float:
    """A CPU quantity (``250m``, ``1``, ``499990914n``) in millicores."""
    units = {"n": 1e-6, "u": 1e-3, "m": 1.0}
    if quantity[-1] in units:
        return float(quantity[:-1]) * units[quantity[-1]]
    return float(quantity) * 1000


# --- HorizontalPodAutoscalers -----------------------------------------------------------------


def hpa_utilization(hpa: Any) -> int | None:
    """The average CPU utilization (percent of requests) the HPA last measured, if any."""
    for metric in (hpa.status and hpa.status.current_metrics) or []:
        if metric.type == "Resource" and metric.resource and metric.resource.name == "cpu":
            return metric.resource.current.average_utilization
    return None


def hpa_condition(hpa: Any, kind: str) -> Any | None:
    return next((c for c in (hpa.status and hpa.status.conditions) or [] if c.type == kind), None)


def hpa_state(hpa: Any) -> str:
    """One line: replicas now and wanted, measured utilization, and why it cannot scale if it cannot."""
    status = hpa.status
    state = (
        f"{status.current_replicas} replicas, wants {status.desired_replicas}, "
        f"CPU {hpa_utilization(hpa)}% of requests (target {hpa_target(hpa)}%)"
    )
    for kind in ("AbleToScale", "ScalingActive"):
        condition = hpa_condition(hpa, kind)
        if condition is not None and condition.status != "True":
            state += f"; {kind}={condition.status} ({condition.reason}: {condition.message})"
    return state


def hpa_target(hpa: Any) -> int | None:
    for metric in hpa.spec.metrics or []:
        if metric.type == "Resource" and metric.resource.name == "cpu":
            return metric.resource.target.average_utilization
    return None


@dataclass
class HpaTimeline:
    """What an HPA reported over time, recorded from the watches that wait on it."""

    start: float = field(default_factory=time.monotonic)
    points: list[tuple[float, int, int, int | None]] = field(default_factory=list)
    marks: list[tuple[float, str]] = field(default_factory=list)

    def record(self, hpa: Any) -> None:
        """Keep the HPA's state if it changed; states before its first count of replicas are skipped."""
        status = hpa.status
        if status is None or not status.current_replicas:
            return
        point = (status.current_replicas, status.desired_replicas or 0, hpa_utilization(hpa))
        if not self.points or self.points[-1][1:] != point:
            self.points.append((self.elapsed(), *point))

    def mark(self, label: str) -> None:
        self.marks.append((self.elapsed(), label))

    def elapsed(self) -> float:
        return round(time.monotonic() - self.start, 1)

    def plot(self) -> Any:
        """A step plot of the replicas and the measured utilization, with the marks as vertical lines."""
        import matplotlib.pyplot as plt

        figure, replicas = plt.subplots(figsize=(8, 3.5))
        times = [p[0] for p in self.points] + [self.elapsed()]
        counts = [p[1] for p in self.points]
        replicas.step(times, [*counts, counts[-1]], where="post", color="tab:blue", label="replicas")
        replicas.set(xlabel="seconds", ylabel="replicas", xlim=(0, times[-1] + 1), ylim=(0, max(counts) + 1.5))
        utilization = replicas.twinx()
        measured = [(p[0], p[3]) for p in self.points if p[3] is not None]
        utilization.plot(
            *zip(*measured, strict=True), "o:", drawstyle="steps-post", color="tab:orange", label="CPU, % of requests"
        )
        utilization.set(ylabel="CPU, % of requests", ylim=(0, None))
        for at, label in self.marks:
            replicas.axvline(at, color="grey", linestyle="--", linewidth=0.8)
            replicas.annotate(f" {label}", (at, (max(counts) + 1.5) / 2), ha="left", fontsize=8)
        figure.legend(loc="lower center", ncol=2, frameon=False)
        figure.tight_layout(rect=(0, 0.08, 1, 1))
        plt.close(figure)
        return figure


def wait_for_hpa(
    cluster: Any,
    namespace: str,
    name: str,
    condition: Any,
    *,
    what: str,
    timeline: HpaTimeline | None = None,
    timeout: float = 90,
) -> Any:
    """Watch HPA ``name`` until ``condition(hpa)`` holds; record every state seen in ``timeline``."""

    def holds(hpas: Objects) -> bool:
        if hpas and timeline is not None:
            timeline.record(hpas[0])
        return bool(hpas) and hpas[0].status is not None and condition(hpas[0])

    found = wait_for(
        cluster.autoscaling.list_namespaced_horizontal_pod_autoscaler,
        holds,
        what=f"HPA {namespace}/{name}: {what}",
        describe=lambda hpas: hpa_state(hpas[0]) if hpas else "no such HPA",
        timeout=timeout,
        namespace=namespace,
        **named(name),
    )
    return found[0]


# --- Draining a node --------------------------------------------------------------------------


def policy(cluster: Any) -> client.PolicyV1Api:
    return client.PolicyV1Api(cluster.api_client)


def cordon(cluster: Any, node: str, unschedulable: bool = True) -> None:
    """Mark ``node`` unschedulable (or schedulable again): running pods stay, new ones go elsewhere."""
    cluster.core.patch_node(node, {"spec": {"unschedulable": unschedulable}})


def evict(cluster: Any, namespace: str, pod: str) -> str | None:
    """Ask the Eviction API to evict ``pod``; None when accepted, else the API's reason for refusing."""
    body = client.V1Eviction(metadata=client.V1ObjectMeta(name=pod, namespace=namespace))
    try:
        cluster.core.create_namespaced_pod_eviction(pod, namespace, body)
    except client.ApiException as error:
        if error.status == 429:  # a PodDisruptionBudget does not allow it now
            return f"429 Too Many Requests: {_message(error)}"
        if error.status == 404:
            return None
        raise
    return None


def _message(error: client.ApiException) -> str:
    import json

    try:
        return json.loads(error.body)["message"]
    except (TypeError, ValueError, KeyError):
        return str(error.reason)


def pods_on(cluster: Any, node: str) -> Objects:
    """The live pods bound to ``node``, in every namespace."""
    pods = cluster.core.list_pod_for_all_namespaces(field_selector=f"spec.nodeName={node}").items
    return [p for p in pods if not p.metadata.deletion_timestamp]


def wait_for_disruption_allowed(cluster: Any, namespace: str, timeout: float = 60) -> None:
    """Wait until every PodDisruptionBudget of the namespace allows at least one disruption."""
    wait_for(
        policy(cluster).list_namespaced_pod_disruption_budget,
        lambda pdbs: all((p.status.disruptions_allowed or 0) >= 1 for p in pdbs if p.status),
        what=f"the PodDisruptionBudgets of {namespace} to allow a disruption",
        describe=lambda pdbs: ", ".join(f"{p.metadata.name}: {p.status.disruptions_allowed} allowed" for p in pdbs),
        timeout=timeout,
        namespace=namespace,
    )


def drain(cluster: Any, node: str, timeout: float = 60) -> list[str]:
    """Cordon ``node``, evict its pods one by one (waiting whenever a budget refuses), wait until it is empty.

    Returns a log line per eviction attempt.
    """
    cordon(cluster, node)
    log: list[str] = []
    deadline = time.monotonic() + timeout
    for pod in pods_on(cluster, node):
        ns, name = pod.metadata.namespace, pod.metadata.name
        while (refused := evict(cluster, ns, name)) is not None:
            log.append(f"{name}: refused, {refused}")
            wait_for_disruption_allowed(cluster, ns, timeout=max(1, deadline - time.monotonic()))
        log.append(f"{name}: evicted")
    wait_for(
        cluster.core.list_pod_for_all_namespaces,
        lambda pods: not pods,
        what=f"node {node} to have no pods left",
        describe=lambda pods: ", ".join(p.metadata.name for p in pods),
        timeout=max(1, deadline - time.monotonic()),
        field_selector=f"spec.nodeName={node}",
    )
    return log
