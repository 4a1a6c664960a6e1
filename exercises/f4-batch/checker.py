"""Checker: a Job ``report`` of six completions, two at a time, two retries, cleaned up after an hour.

It judges the run. It watches the reader's Job for up to ``WAIT_S`` seconds until it finishes, and
then reads its pods as the kubelet reported them: each ran on the real node (``spec.nodeName``), its
container really started (a containerID) and ended with exit code 0; six such pods succeeded; and no
more than two ran at once, counted from each pod's start (``status.startTime``) to its container's
``finishedAt``. The kubelet reports these in whole seconds, so a pod that starts in the second another
one finished is not counted as beside it. The Job's fields are read only to say why a run fell short.

Two criteria stay field checks. Retries: the page's workload (a short ``echo``) never fails, so there
is no failure whose retries could be counted; the checker reads ``backoffLimit``, which counts retries
(the Job fails at ``backoffLimit`` + 1 failed pods). Clean-up: the hour of ``ttlSecondsAfterFinished``
cannot be waited for. The watch runs once per Job: the framework's second look reuses it.
"""

from __future__ import annotations

import time
from typing import Any

from threeplanes.checking import Checker, Context, Criterion, Failure
from threeplanes.checking.framework import remembered
from threeplanes.kit.control_plane import REAL_NODE_NAME
from threeplanes.kit.wait import job_condition, unschedulable_message

NAME = "report"
COMPLETIONS, PARALLELISM, BACKOFF_LIMIT, TTL = 6, 2, 2, 3600
WAIT_S = 40  # seconds the checker watches a Job that has not finished yet
REUSE_S = 10  # seconds a watched Job serves the framework's second look
WATCHED: dict[tuple, tuple[float, Any]] = {}
REAL_NODE = (
    "in the pod template's spec, add nodeSelector: {threeplanes.io/node: real}, the toleration "
    "{key: threeplanes.io/real-node, operator: Equal, value: 'true', effect: NoSchedule}, and "
    "imagePullPolicy: IfNotPresent on the container"
)


def job(ctx: Context) -> Any:
    if "job" not in ctx.notes:
        ctx.notes["job"] = ctx.get(ctx.cluster.batch.read_namespaced_job, NAME, ctx.namespace)
    return ctx.notes["job"]


def job_pods(ctx: Context) -> list[Any]:
    """The pods this Job made (its controller-uid label)."""
    if "pods" not in ctx.notes:
        selector = f"batch.kubernetes.io/controller-uid={job(ctx).metadata.uid}"
        ctx.notes["pods"] = ctx.cluster.core.list_namespaced_pod(ctx.namespace, label_selector=selector).items
    return ctx.notes["pods"]


def stuck(pods: list[Any]) -> bool:
    """True when waiting cannot help: a pod is on a simulated node or cannot be placed."""
    return any((p.spec.node_name and p.spec.node_name != REAL_NODE_NAME) or unschedulable_message(p) for p in pods)


def watched(ctx: Context) -> Any:
    """The Job once it has finished, or as it was after ``WAIT_S`` s (sooner when it is stuck)."""

    def watch() -> Any:
        deadline = time.monotonic() + WAIT_S
        while True:
            ctx.notes.clear()
            found = job(ctx)
            if found is None or job_condition(found) or stuck(job_pods(ctx)) or time.monotonic() > deadline:
                return found
            time.sleep(1)

    found = job(ctx)
    key = (ctx.namespace, found.metadata.uid, found.metadata.generation)
    finished = remembered(WATCHED, key, REUSE_S, watch)
    ctx.notes.clear()
    ctx.notes["job"] = finished
    return finished


def exists(ctx: Context) -> Failure | None:
    if job(ctx) is not None:
        return None
    create = "write a manifest with apiVersion: batch/v1, kind: Job, metadata.name: report, and apply it"
    if ctx.get(ctx.cluster.apps.read_namespaced_deployment, NAME, ctx.namespace) is not None:
        return Failure(
            f"{NAME} is a Deployment, not a Job: its pods run for ever and are replaced whenever they end",
            f"work that finishes is a Job: kubectl delete deployment {NAME}, then {create}",
        )
    if ctx.get(ctx.cluster.batch.read_namespaced_cron_job, NAME, ctx.namespace) is not None:
        return Failure(f"{NAME} is a CronJob: it waits for its schedule", f"the report runs once, now: {create}")
    return Failure(f"no Job named {NAME} in {ctx.namespace}", create)


def recreate(field: str) -> str:
    return (
        f"a Job's {field} cannot be changed once it exists: kubectl delete job {NAME}, "
        "fix the manifest, and apply it again"
    )


def on_real_node(ctx: Context) -> Failure | None:
    watched(ctx)
    pods = job_pods(ctx)
    if not pods:
        return Failure(f"the Job has no pods after {WAIT_S} s", f"kubectl describe job {NAME} says why")
    simulated = sorted({p.spec.node_name for p in pods if p.spec.node_name} - {REAL_NODE_NAME})
    if simulated:
        return Failure(
            f"its pods ran on {', '.join(simulated)}, simulated nodes where no container runs",
            f"run them on the book's real node ({REAL_NODE_NAME}): {REAL_NODE}; {recreate('pod template')}",
        )
    pending = next((m for m in map(unschedulable_message, pods) if m), None)
    if pending:
        return Failure(f"its pods cannot be placed: {pending}", f"{REAL_NODE}; {recreate('pod template')}")
    return None


def really_ran(pod: Any) -> Any | None:
    """The terminated state of ``pod``'s container if it really started and exited 0 on the real node."""
    if pod.spec.node_name != REAL_NODE_NAME:
        return None
    for status in pod.status.container_statuses or []:
        done = status.state.terminated if status.state else None
        if status.container_id and done and done.exit_code == 0:
            return done
    return None


def completed(ctx: Context) -> Failure | None:
    found = watched(ctx)
    s = found.status
    ran = sum(really_ran(p) is not None for p in job_pods(ctx))
    outcome = job_condition(found)
    if outcome == "Complete" and ran == COMPLETIONS:
        return None
    saw = f"{ran} of its pods ran to exit code 0 on the real node ({s.failed or 0} failed, {s.active or 0} active)"
    if outcome == "Failed":
        reason = next(c.reason for c in s.conditions if c.type == "Failed")
        return Failure(
            f"{saw}; the Job failed ({reason}): it gives up at backoffLimit + 1 failed pods",
            f"kubectl describe job {NAME} and kubectl logs job/{NAME} say why",
        )
    if outcome is None:
        return Failure(
            f"{saw}; it has not finished after {WAIT_S} s",
            f"wait for it: kubectl wait --for=condition=complete job/{NAME} -n {ctx.namespace}",
        )
    completions = found.spec.completions
    if completions != COMPLETIONS:
        why = "completions is not set: the Job is done as soon as any one pod succeeds (a work queue)"
        if completions is not None:
            why = f"completions is {completions}: the Job is done after {completions} successful pod(s)"
        return Failure(f"{saw}; {why}", f"set completions: {COMPLETIONS}; {recreate('completions')}")
    return Failure(
        f"{saw}, though the Job says it is complete",
        f"the checker reads the run from the Job's pods; run it again: kubectl delete job {NAME}, then apply "
        "your manifest again",
    )


def most_at_once(pods: list[Any]) -> int:
    """The most pods running at the same time on the real node, from each pod's start to its container's
    finish, whether it succeeded or failed."""
    events = []
    for pod in pods:
        states = [c.state.terminated for c in pod.status.container_statuses or [] if c.state and c.container_id]
        finished = [t.finished_at for t in states if t and t.finished_at]
        if finished and pod.status.start_time and pod.spec.node_name == REAL_NODE_NAME:
            events += [(pod.status.start_time, 1), (max(finished), -1)]
    running = most = 0
    for _, step in sorted(events):  # at the same second, a finish (-1) sorts before a start
        running += step
        most = max(most, running)
    return most


def two_at_a_time(ctx: Context) -> Failure | None:
    found = watched(ctx)
    most = most_at_once(job_pods(ctx))
    if most <= PARALLELISM:
        return None
    saw = f"{most} of its pods ran at once (from the start and finish times the kubelet reported)"
    if (found.metadata.generation or 1) > 1:
        return Failure(
            f"{saw}; the Job's spec was changed after it was created (generation {found.metadata.generation}): "
            f"its pods ran under the earlier spec",
            f"run it as written: kubectl delete job {NAME} -n {ctx.namespace}, then apply your manifest again",
        )
    return Failure(
        f"{saw}; parallelism is {found.spec.parallelism}",
        f"set parallelism: {PARALLELISM} in your manifest, then delete the Job and apply it again, so that it runs "
        "two at a time",
    )


def two_retries(ctx: Context) -> Failure | None:
    """A field check: the page's workload never fails, so no retry can be watched."""
    limit = job(ctx).spec.backoff_limit
    if limit == BACKOFF_LIMIT:
        return None
    return Failure(
        f"backoffLimit is {limit}"
        + (" (the default)" if limit == 6 else "")
        + f": the Job would fail at {limit + 1} failed pods, after {limit} retries",
        f"set backoffLimit: {BACKOFF_LIMIT} in your manifest, so that it gives up after two retries; "
        f"then kubectl delete job {NAME} and apply it again",
    )


def cleans_up(ctx: Context) -> Failure | None:
    """A field check: an hour after the Job finished cannot be waited for."""
    ttl = job(ctx).spec.ttl_seconds_after_finished
    if ttl == TTL:
        return None
    saw = "ttlSecondsAfterFinished is not set: the finished Job stays until someone deletes it"
    if ttl is not None:
        saw = f"ttlSecondsAfterFinished is {ttl}"
    return Failure(
        saw,
        f"set ttlSecondsAfterFinished: {TTL} (one hour) in your manifest; then kubectl delete job {NAME} and "
        "apply it again",
    )


EXISTS = Criterion("A Job named report exists", exists)
REAL = Criterion("Its pods run on the real node", on_real_node, needs=(EXISTS,))
COMPLETED = Criterion(
    "It completed: 6 of its pods ran on the real node and exited 0 (completions: 6)", completed, needs=(REAL,)
)
TWO_AT_A_TIME = Criterion("No more than 2 of its pods ran at once (parallelism: 2)", two_at_a_time, needs=(COMPLETED,))
RETRIES = Criterion("It gives up after 2 retries (backoffLimit: 2)", two_retries, needs=(EXISTS,))
CLEANS_UP = Criterion(
    "It is deleted an hour after it finishes (ttlSecondsAfterFinished: 3600)", cleans_up, needs=(EXISTS,)
)

CHECKER = Checker(
    "Run a report in six parts, two at a time", [EXISTS, REAL, COMPLETED, TWO_AT_A_TIME, RETRIES, CLEANS_UP]
)
