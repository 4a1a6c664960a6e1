"""Self-healing: read back how the control plane reacted to a node that stopped heartbeating.

A node proves it is alive by renewing its Lease in ``kube-node-lease``. On the simulated
cluster kwok renews it for each node labelled ``kwok.x-k8s.io/node=fake`` and plays the
kubelet for its pods; the lab F6 changes that label (a patch it shows), so that kwok forgets
the node, neither renewing its lease nor acting for its pods any more: to the control plane the
node is then like a machine whose kubelet died.

``failure_timeline`` then rebuilds, from the timestamps the control plane wrote into the
objects, when each step of the recovery happened; ``timeline_table`` and ``timeline_chart``
show it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from threeplanes.kit.tables import Table, table
from threeplanes.kit.wait import Objects, named, node_ready_condition, pod_ready_condition, wait_for

UNREACHABLE = "node.kubernetes.io/unreachable"
OUT_OF_SERVICE = "node.kubernetes.io/out-of-service"

Moment = tuple[float, str]


def taint(node: Any, key: str, effect: str) -> Any | None:
    return next((t for t in node.spec.taints or [] if t.key == key and t.effect == effect), None)


def wait_for_taint(cluster: Any, node: str, key: str, effect: str, timeout: float = 30) -> Any:
    """Wait until node ``node`` carries the taint ``key:effect``; return the node."""
    found = wait_for(
        cluster.core.list_node,
        lambda nodes: bool(nodes) and taint(nodes[0], key, effect) is not None,
        what=f"node {node} to be tainted {key}:{effect}",
        describe=lambda nodes: ", ".join(f"{t.key}:{t.effect}" for t in nodes[0].spec.taints or []) if nodes else "",
        timeout=timeout,
        **named(node),
    )
    return found[0]


def bound_to(pods: Objects, node: str) -> Objects:
    """Of ``pods``, those bound to ``node``."""
    return [p for p in pods if p.spec.node_name == node]


def evicted_at(pod: Any) -> datetime:
    """When the pod was marked for deletion (its deletionTimestamp is that moment plus the grace period)."""
    return pod.metadata.deletion_timestamp - timedelta(seconds=pod.metadata.deletion_grace_period_seconds or 0)


def _changed_at(condition: Any) -> datetime | None:
    """When ``condition`` last changed; None for a condition not reported yet."""
    return condition.last_transition_time if condition is not None else None


def failure_timeline(lease: Any, node: Any, evicted: Objects, replacements: Objects) -> list[Moment]:
    """Seconds after the node's last heartbeat at which each step of the recovery happened."""
    start = lease.spec.renew_time
    unreachable = taint(node, UNREACHABLE, "NoExecute")
    moments = [
        (start, "last heartbeat: the lease is renewed for the last time"),
        (_changed_at(node_ready_condition(node)), "node controller: Ready turns Unknown"),
        (unreachable.time_added if unreachable else None, f"node controller: taint {UNREACHABLE}:NoExecute"),
        (min(map(evicted_at, evicted)), f"taint eviction: {len(evicted)} pod(s) marked for deletion"),
        (min(p.metadata.creation_timestamp for p in replacements), "ReplicaSet: replacement pods created"),
        (max(_changed_at(pod_ready_condition(p)) for p in replacements), "replacements Ready on the healthy node"),
    ]
    return [(round((at - start).total_seconds(), 1), what) for at, what in moments if at is not None]


def timeline_table(steps: list[Moment]) -> Table:
    return table(steps, {"SECONDS": lambda s: f"{s[0]:.1f}", "WHAT HAPPENED": lambda s: s[1]})


def timeline_chart(steps: list[Moment], grace: float, toleration: float) -> Any:
    """The steps on a time axis, with the grace period and the pods' toleration drawn as spans."""
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(8, 0.9 + 0.45 * len(steps)))
    unknown_at = next(at for at, what in steps if "Unknown" in what)
    axes.axvspan(0, grace, color="tab:orange", alpha=0.15, label=f"node-monitor-grace-period ({grace:g} s)")
    axes.axvspan(unknown_at, unknown_at + toleration, color="tab:red", alpha=0.15, label="tolerationSeconds")
    for y, (at, what) in enumerate(steps):
        axes.plot(at, y, "o", color="tab:blue")
        axes.annotate(f"  {what}", (at, y), va="center", fontsize=8)
    axes.set(yticks=[], xlabel="seconds after the node's last heartbeat", xlim=(-1, max(s[0] for s in steps) * 2))
    axes.invert_yaxis()
    axes.legend(loc="upper right", fontsize=8, frameon=False)
    figure.tight_layout()
    plt.close(figure)
    return figure


def wait_for_evictions(cluster: Any, namespace: str, node: str, count: int, timeout: float = 30) -> Objects:
    """Wait until ``count`` pods bound to ``node`` are marked for deletion; return them."""

    def marked(pods: Objects) -> Objects:
        return [p for p in bound_to(pods, node) if p.metadata.deletion_timestamp]

    wait_for(
        cluster.core.list_namespaced_pod,
        lambda pods: len(marked(pods)) >= count,
        what=f"{count} pod(s) on node {node} to be marked for deletion",
        describe=lambda pods: f"{len(marked(pods))} of {len(bound_to(pods, node))} marked",
        timeout=timeout,
        namespace=namespace,
    )
    return marked(cluster.core.list_namespaced_pod(namespace).items)


def disruption(pod: Any) -> str | None:
    """Why the control plane removed the pod: the reason of its DisruptionTarget condition, if any."""
    return next((c.reason for c in pod.status.conditions or [] if c.type == "DisruptionTarget"), None)


# --- PodDisruptionBudgets -------------------------------------------------------------------


def wait_for_budget(cluster: Any, namespace: str, name: str, healthy: int, timeout: float = 30) -> Any:
    """Wait until the disruption controller has counted ``healthy`` pods for budget ``name``."""

    def counted(budget: Any) -> bool:
        s = budget.status
        current = (s and s.observed_generation or 0) >= budget.metadata.generation
        return current and s.current_healthy == healthy and s.expected_pods == healthy

    found = wait_for(
        cluster.policy.list_namespaced_pod_disruption_budget,
        lambda budgets: bool(budgets) and counted(budgets[0]),
        what=f"PodDisruptionBudget {namespace}/{name} to count {healthy} healthy pods",
        describe=lambda budgets: str(budgets[0].status) if budgets else "no such budget",
        timeout=timeout,
        namespace=namespace,
        **named(name),
    )
    return found[0]
