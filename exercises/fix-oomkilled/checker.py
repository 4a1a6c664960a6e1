"""Checker of the fix-oomkilled mission: the thumbnailer does its work and keeps running, under a sane limit.

The scenario: the pod of ``thumbnailer`` must have logged that it holds its working buffers and
then run ``HOLD`` seconds with no restart (the checker waits out what is left of them). Then the
checker measures the container's peak memory where the kernel counts it, in the container's
memory cgroup (``memory.peak`` under cgroup v2, ``memory.max_usage_in_bytes`` under v1), and asks
for a memory limit within ``SLACK`` times that peak: no limit, or one far past need, stops the kills
by hiding them (a leak would then grow unchecked). Scaling to zero fails too. The objects are read
only to say why a step failed. The measure is taken once per state of the pods: the framework's
second look reads the same outcome.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kubernetes.utils import parse_quantity

from threeplanes.checking import Checker, Context, Criterion, Failure, criteria, missions
from threeplanes.kit.kubectl import kubectl
from threeplanes.kit.pods import pod_log
from threeplanes.kit.wait import is_ready

setup = missions.load_part(Path(__file__).parent, "setup")

NAME = setup.NAME
SETUP = ".venv/bin/threeplanes exercise setup fix-oomkilled -n {namespace}"
HOLD = 10  # seconds the worker must run without a restart, its buffers allocated
SLACK = 4  # a limit above this many times the measured peak hides the symptom
HOLDS = f'Allocated "{setup.WORKING_SET}" memory'
PEAK = "cat /sys/fs/cgroup/memory.peak 2>/dev/null || cat /sys/fs/cgroup/memory/memory.max_usage_in_bytes"
REUSE = 90
OUTCOMES: dict[tuple, tuple[float, Failure | None]] = {}
MI = 1024 * 1024


def deployment(ctx: Context) -> Any:
    return criteria.deployment(ctx, NAME)


def pods(ctx: Context) -> list[Any]:
    if "pods" not in ctx.notes:
        ctx.notes["pods"] = criteria.deployment_pods(ctx, NAME)
    return ctx.notes["pods"]


def status(pod: Any) -> Any | None:
    return next(iter(pod.status.container_statuses or []), None)


def limit_of(pod: Any) -> str | None:
    resources = pod.spec.containers[0].resources
    return ((resources and resources.limits) or {}).get("memory")


def killed(pod: Any) -> bool:
    found = status(pod)
    last = found.last_state.terminated if found and found.last_state else None
    now = found.state.terminated if found else None
    return any(t is not None and t.reason == "OOMKilled" for t in (last, now))


def mib(quantity: str | int | float) -> str:
    return f"{float(parse_quantity(quantity)) / MI:.0f} MiB"


# --- the criteria --------------------------------------------------------------------------------


def set_up(ctx: Context) -> Failure | None:
    if deployment(ctx) is None:
        return missions.not_set_up(f"Deployment {NAME}", SETUP.format(namespace=ctx.namespace))
    return None


def keeps_replica(ctx: Context) -> Failure | None:
    if not deployment(ctx).spec.replicas:
        return Failure(
            f"Deployment {NAME} asks for 0 replicas",
            "scaling to zero hides the symptom (nothing is killed) without curing it: no thumbnail is made. "
            f"Scale back to 1 (kubectl scale deployment {NAME} --replicas=1) and find why it is killed",
        )
    return None


def kill_failure(saw: str, victim: Any) -> Failure:
    """What to say of a container the kernel kills: the hint depends on whether the limit was raised."""
    limit = limit_of(victim)
    if limit and parse_quantity(limit) > parse_quantity(setup.LIMIT):
        return Failure(
            saw,
            f"the limit is now {limit} and the kernel still kills it: measure what the worker really uses "
            "(its buffers, and the program around them) before you choose a number",
        )
    return Failure(
        saw,
        f"the container of {NAME} keeps being killed and restarted: find out who kills it and why "
        "before changing anything",
    )


def pod_runs(ctx: Context) -> Failure | None:
    found, found_deployment = pods(ctx), deployment(ctx)
    if missions.rolled_and_ready(found_deployment, found):
        return None
    failing = [p for p in found if not is_ready(p)]
    saw = "; ".join(missions.first_container_summary(p) for p in failing) or f"{len(found)} pod(s)"
    victims = [p for p in failing if killed(p)]
    if victims:
        return kill_failure(saw, victims[0])
    return Failure(saw, f"the pod is starting: check again in a few seconds (kubectl get pods -n {ctx.namespace})")


def measure(ctx: Context, pod: Any) -> Failure | None:
    """Wait out what is left of ``HOLD``; then the log, the restarts, the peak and the limit."""
    started = status(pod).state.running.started_at
    left = HOLD - (datetime.now(UTC) - started).total_seconds()
    if left > 0:
        time.sleep(left)
    again = ctx.cluster.core.read_namespaced_pod(pod.metadata.name, ctx.namespace)
    if status(again).restart_count != status(pod).restart_count or not status(again).state.running:
        # Between two kills the container runs, and is Ready, for as long as its buffers take to fill.
        return kill_failure(f"{pod.metadata.name} restarted within {HOLD} s of starting", again)
    if HOLDS not in pod_log(ctx.cluster, ctx.namespace, pod.metadata.name):
        return Failure(
            f"{pod.metadata.name} has run {HOLD} s but not logged {HOLDS!r}",
            "the worker must get its buffers: keep its arguments as the setup made them",
        )
    output = kubectl(f"exec -n {ctx.namespace} {pod.metadata.name} -- sh -c '{PEAK}'", ctx.cluster, show=False)
    peak = int(output.split()[0])
    limit = limit_of(again)
    if limit is None:
        return Failure(
            f"the worker peaked at {peak / MI:.0f} MiB, with no memory limit",
            "no memory limit hides the symptom: nothing is killed now, and nothing would stop a leak from "
            f"taking the node's memory. Set a limit with room above the peak ({peak / MI:.0f} MiB)",
        )
    if parse_quantity(limit) > SLACK * peak:
        return Failure(
            f"the worker peaked at {peak / MI:.0f} MiB, under a limit of {limit} ({mib(limit)})",
            f"a limit more than four times the peak hides the symptom: a leak would grow for a long time "
            f"before the limit stops it. Choose a limit with room above {peak / MI:.0f} MiB, and below "
            f"{SLACK * peak / MI:.0f} MiB",
        )
    return None


def holds(ctx: Context) -> Failure | None:
    state = (ctx.namespace, tuple(sorted((p.metadata.uid, status(p).restart_count) for p in pods(ctx))))
    return missions.remembered(
        OUTCOMES, state, REUSE, lambda: next((f for p in pods(ctx) if (f := measure(ctx, p))), None)
    )


SET_UP = Criterion(f"The Deployment {NAME} is there", set_up)
REPLICA = Criterion(f"{NAME} still asks for its replica", keeps_replica, needs=(SET_UP,))
RUNNING = Criterion(f"The pod of {NAME} runs and is Ready", pod_runs, needs=(REPLICA,))
HOLDS_ITS_WORK = Criterion(
    f"It holds its {setup.WORKING_SET} buffers for {HOLD} s without a restart, under a memory limit of at most "
    f"{SLACK} times its measured peak",
    holds,
    needs=(RUNNING,),
)

CHECKER = Checker("Mission: thumbnails of new uploads never appear", [SET_UP, REPLICA, RUNNING, HOLDS_ITS_WORK])
