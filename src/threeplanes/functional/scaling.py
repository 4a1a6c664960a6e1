"""Adding and removing capacity: simulated CPU load, autoscalers, drains.

A lab that scales works on a pool of simulated nodes of its own (``threeplanes.kit.nodes``).
The CPU a pod reports is set by its ``kwok.x-k8s.io/usage-cpu`` annotation
(``USAGE_CPU``): kwok serves it as the pod's usage, and the HorizontalPodAutoscaler reads
it through the ``metrics.k8s.io`` API like any real usage (``pod_metrics``; ``wait_for_pod_metrics``
waits until those figures follow the pods). ``wait_for_hpa`` records what an HPA
decided in a ``Timeline`` (``hpa_counts``). ``drain`` cordons a node and evicts its pods through
the Eviction API, which honours PodDisruptionBudgets.
"""

from __future__ import annotations

import json
import time
from typing import Any

from kubernetes import client

from threeplanes.kit.effects import Effect, poll_until
from threeplanes.kit.nodes import pods_on
from threeplanes.kit.pods import live
from threeplanes.kit.timeline import Timeline
from threeplanes.kit.wait import Objects, wait_for, wait_for_one

USAGE_CPU = "kwok.x-k8s.io/usage-cpu"


# --- Simulated load and the metrics API -------------------------------------------------------


def live_pods(cluster: Any, namespace: str, selector: str) -> Objects:
    pods = cluster.core.list_namespaced_pod(namespace, label_selector=selector).items
    return live(pods)


def pod_metrics(cluster: Any, namespace: str, selector: str) -> list[dict[str, Any]]:
    """The figures metrics-server serves for the pods ``selector`` selects (``metrics.k8s.io`` PodMetrics)."""
    found = cluster.custom.list_namespaced_custom_object(
        "metrics.k8s.io", "v1beta1", namespace, "pods", label_selector=selector
    )
    return found["items"]


def wait_for_pod_metrics(cluster: Any, namespace: str, selector: str, timeout: float = 60) -> Effect[set[str]]:
    """Wait until metrics-server has a figure for every live pod ``selector`` selects, and for no other.

    metrics-server follows the pods on its own: a new pod has a figure only after two of its
    scrapes, and a pod just deleted may keep one until metrics-server's own view of the pods drops it.
    """

    def look() -> tuple[set[str], set[str]]:
        pods = {p.metadata.name for p in live_pods(cluster, namespace, selector)}
        return pods, {m["metadata"]["name"] for m in pod_metrics(cluster, namespace, selector)}

    effect = poll_until(
        look,
        lambda seen: seen[0] == seen[1],
        what=f"metrics-server to report exactly the live pods {selector!r} of {namespace}",
        describe=lambda seen: f"live pods {sorted(seen[0])}, figures for {sorted(seen[1])}",
        timeout=timeout,
    )
    return Effect(effect.seen[1], effect.after)


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


def hpa_counts(hpa: Any) -> dict[str, int]:
    """What a timeline records of an HPA: replicas now, replicas wanted, and the CPU it measured."""
    status = hpa.status
    counts = {"replicas": status.current_replicas or 0, "desired": status.desired_replicas or 0}
    utilization = hpa_utilization(hpa)
    if utilization is not None:
        counts["utilization"] = utilization
    return counts


def wait_for_hpa(
    cluster: Any,
    namespace: str,
    name: str,
    condition: Any,
    *,
    what: str,
    timeline: Timeline | None = None,
    timeout: float = 90,
) -> Any:
    """Watch HPA ``name`` until ``condition(hpa)`` holds; record every state seen in ``timeline``."""

    def holds(hpa: Any) -> bool:
        if timeline is not None and hpa.status and hpa.status.current_replicas:
            timeline.record(hpa_counts(hpa))
        return hpa.status is not None and condition(hpa)

    return wait_for_one(
        cluster.autoscaling.list_namespaced_horizontal_pod_autoscaler,
        name,
        holds,
        what=f"HPA {namespace}/{name}: {what}",
        describe=hpa_state,
        missing="no such HPA",
        timeout=timeout,
        namespace=namespace,
    )


# --- Draining a node --------------------------------------------------------------------------


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
    try:
        return json.loads(error.body)["message"]
    except (TypeError, ValueError, KeyError):
        return str(error.reason)


def wait_for_disruption_allowed(cluster: Any, namespace: str, timeout: float = 60) -> None:
    """Wait until every PodDisruptionBudget of the namespace allows at least one disruption."""
    wait_for(
        cluster.policy.list_namespaced_pod_disruption_budget,
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
