"""Wait for the cluster to reach a state, by watching it; never by sleeping blindly.

Every wait lists the objects once, then follows a watch from that list's resourceVersion
until a condition holds or the timeout passes. A timeout raises ``WaitTimeout`` whose
message names what was awaited and the last state seen.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from kubernetes import client

from threeplanes.errors import WaitTimeout
from threeplanes.kit.labels import selector_string
from threeplanes.kit.pods import live
from threeplanes.kit.watch import ListWatch, Objects

# A node's Ready condition is read where provisioning reads it (the real node's start, the status table).
from threeplanes.provision.nodes import node_ready as node_ready
from threeplanes.provision.nodes import node_ready_condition as node_ready_condition


def wait_for(
    list_fn: Callable[..., Any],
    condition: Callable[[Objects], bool],
    *,
    what: str,
    describe: Callable[[Objects], str],
    timeout: float = 60,
    **list_kwargs: Any,
) -> Objects:
    """Watch the objects ``list_fn(**list_kwargs)`` returns until ``condition(objects)`` holds.

    ``describe(objects)`` says in a few words what was seen, for the timeout message.
    """
    deadline = time.monotonic() + timeout
    objects = ListWatch(list_fn, **list_kwargs)
    if not objects.follow(condition, deadline):
        raise WaitTimeout(f"{what}: not reached after {timeout:g} s; last seen: {describe(objects.objects)}")
    return objects.objects


def named(name: str) -> dict[str, str]:
    """List arguments that select one object by name."""
    return {"field_selector": f"metadata.name={name}"}


def wait_for_one(
    list_fn: Callable[..., Any],
    name: str,
    holds: Callable[[Any], bool],
    *,
    what: str,
    describe: Callable[[Any], str],
    missing: str,
    timeout: float = 60,
    **list_kwargs: Any,
) -> Any:
    """Watch the one object called ``name`` until ``holds(it)``; return it.

    ``describe(it)`` says in a few words what was last seen, and ``missing`` what to say when no
    such object exists, for the timeout message.
    """
    found = wait_for(
        list_fn,
        lambda objects: bool(objects) and holds(objects[0]),
        what=what,
        describe=lambda objects: describe(objects[0]) if objects else missing,
        timeout=timeout,
        **named(name),
        **list_kwargs,
    )
    return found[0]


# --- Deployments -----------------------------------------------------------------------------


def rollout_state(deployment: Any) -> str:
    status = deployment.status
    desired = deployment.spec.replicas
    progressing = next((c for c in status.conditions or [] if c.type == "Progressing"), None)
    state = (
        f"{status.ready_replicas or 0}/{desired} ready, {status.updated_replicas or 0} updated, "
        f"{status.available_replicas or 0} available"
    )
    if progressing is not None and progressing.reason == "ProgressDeadlineExceeded":
        state += f" (rollout stuck: {progressing.message})"
    return state


def rollout_complete(deployment: Any) -> bool:
    status = deployment.status
    desired = deployment.spec.replicas
    return (
        (status.observed_generation or 0) >= deployment.metadata.generation
        and (status.updated_replicas or 0) == desired
        and (status.ready_replicas or 0) == desired
        and (status.available_replicas or 0) == desired
        and (status.replicas or 0) == desired
    )


def pending_pods_reason(cluster: Any, namespace: str, deployment: Any) -> str:
    """How many of the Deployment's pods are Pending and, if it said, why the scheduler left them there."""
    selector = selector_string(deployment.spec.selector)
    try:
        pods = cluster.core.list_namespaced_pod(namespace, label_selector=selector).items
    except client.ApiException:
        return ""
    pending = [p for p in pods if p.status.phase == "Pending" and not p.metadata.deletion_timestamp]
    if not pending:
        return ""
    said = sorted({message for p in pending if (message := unschedulable_message(p))})
    reason = f"; {len(pending)} pod(s) Pending"
    return reason + (f", the scheduler says: {said[0]}" if said else ", not yet scheduled")


def wait_for_rollout(cluster: Any, namespace: str, name: str, timeout: float = 60) -> Any:
    """Wait until every replica of Deployment ``name`` runs the latest template and is available.

    On a timeout the message also says how many pods are Pending and, from their PodScheduled
    condition, what the scheduler said about them.
    """

    def describe(deployments: Objects) -> str:
        if not deployments:
            return "no such Deployment"
        return rollout_state(deployments[0]) + pending_pods_reason(cluster, namespace, deployments[0])

    found = wait_for(
        cluster.apps.list_namespaced_deployment,
        lambda ds: bool(ds) and rollout_complete(ds[0]),
        what=f"Deployment {namespace}/{name} to finish its rollout",
        describe=describe,
        timeout=timeout,
        namespace=namespace,
        **named(name),
    )
    return found[0]


# --- Pods, Jobs, nodes, namespaces -----------------------------------------------------------


def pod_ready_condition(pod: Any) -> Any | None:
    """The Ready condition of ``pod`` (its containers pass their readiness probes); None until the kubelet
    reports one."""
    return next((c for c in pod.status.conditions or [] if c.type == "Ready"), None)


def is_ready(pod: Any) -> bool:
    """True when ``pod`` is Ready: a Service sends it traffic."""
    condition = pod_ready_condition(pod)
    return condition is not None and condition.status == "True"


def unschedulable_message(pod: Any) -> str | None:
    """Why the scheduler could not place ``pod``, as its PodScheduled condition says; None if placed."""
    for condition in pod.status.conditions or []:
        if condition.type == "PodScheduled" and condition.status == "False":
            return condition.message or condition.reason
    return None


def pods_summary(pods: Objects) -> str:
    """``2 Ready, 1 Pending``, and why the first unplaced pod is Pending, in the scheduler's words."""
    if not pods:
        return "no pods"
    phases: dict[str, int] = {}
    for pod in pods:
        state = "Ready" if is_ready(pod) else pod.status.phase or "Unknown"
        if pod.metadata.deletion_timestamp:
            state = "Terminating"
        phases[state] = phases.get(state, 0) + 1
    summary = ", ".join(f"{n} {state}" for state, n in sorted(phases.items()))
    refused = next(((p.metadata.name, m) for p in pods if (m := unschedulable_message(p))), None)
    if refused:
        summary += f"; the scheduler says of {refused[0]}: {refused[1]}"
    return summary


def wait_for_pods(
    cluster: Any,
    namespace: str,
    selector: str,
    count: int,
    condition: Callable[[Any], bool] = is_ready,
    state: str = "Ready",
    timeout: float = 60,
) -> Objects:
    """Wait until exactly ``count`` pods match ``selector`` and all satisfy ``condition``."""

    return live(
        wait_for(
            cluster.core.list_namespaced_pod,
            lambda pods: len(live(pods)) == count and all(condition(p) for p in live(pods)),
            what=f"{count} pod(s) {selector!r} in {namespace} to be {state}",
            describe=pods_summary,
            timeout=timeout,
            namespace=namespace,
            label_selector=selector,
        )
    )


def job_condition(job: Any) -> str | None:
    """``Complete`` or ``Failed`` once the Job has finished, else None."""
    for condition in job.status.conditions or []:
        if condition.type in ("Complete", "Failed") and condition.status == "True":
            return condition.type
    return None


def wait_for_job(cluster: Any, namespace: str, name: str, outcome: str = "Complete", timeout: float = 60) -> Any:
    """Wait until Job ``name`` finishes with ``outcome`` (``Complete`` or ``Failed``)."""

    def describe(job: Any) -> str:
        s = job.status
        counts = f"{s.succeeded or 0} succeeded, {s.failed or 0} failed, {s.active or 0} active"
        return f"{counts}, finished: {job_condition(job)}"

    return wait_for_one(
        cluster.batch.list_namespaced_job,
        name,
        lambda job: job_condition(job) == outcome,
        what=f"Job {namespace}/{name} to be {outcome}",
        describe=describe,
        missing="no such Job",
        timeout=timeout,
        namespace=namespace,
    )


def wait_for_node(cluster: Any, name: str, ready: str = "True", timeout: float = 60) -> Any:
    """Wait until node ``name``'s Ready condition has status ``ready`` (True, False or Unknown)."""
    return wait_for_one(
        cluster.core.list_node,
        name,
        lambda node: node_ready(node) == ready,
        what=f"node {name} to have Ready={ready}",
        describe=lambda node: f"Ready={node_ready(node)}",
        missing="no such node",
        timeout=timeout,
    )


def wait_for_gone(list_fn: Callable[..., Any], name: str, what: str, timeout: float = 60, **list_kwargs: Any) -> None:
    """Wait until the object ``name`` no longer exists."""
    wait_for(
        list_fn,
        lambda objs: not objs,
        what=f"{what} to be deleted",
        describe=lambda objs: f"still there (deletionTimestamp {objs[0].metadata.deletion_timestamp})",
        timeout=timeout,
        **named(name),
        **list_kwargs,
    )


def wait_for_namespace_gone(cluster: Any, name: str, timeout: float = 120) -> None:
    wait_for_gone(cluster.core.list_namespace, name, what=f"namespace {name}", timeout=timeout)


def holds_for(
    list_fn: Callable[..., Any], condition: Callable[[Objects], bool], seconds: float, **list_kwargs: Any
) -> bool:
    """True when ``condition`` holds for ``seconds`` on end, watching every change; False as soon as it breaks.

    The opposite of a wait: it shows that nothing reverts a state (a patched condition, an
    untouched set of pods) rather than waiting for one.
    """
    try:
        wait_for(
            list_fn,
            lambda objects: not condition(objects),
            what="the state to change",
            describe=lambda objects: f"{len(objects)} object(s), unchanged",
            timeout=seconds,
            **list_kwargs,
        )
    except WaitTimeout:
        return True
    return False
