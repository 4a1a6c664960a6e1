"""Checker: cruncher's memory limit lets release 1 run and has release 2's leak OOMKilled, judged by running both.

Release 1 is what the Deployment ``cruncher`` runs: every live pod must stay Running for ``HOLD``
seconds with no restart, and have logged that it holds its 48 MiB. Release 2 is run by the
checker itself on the real node: a pod ``leak-check`` made from cruncher's pod template (so with
the reader's resources, and whatever a LimitRange of the namespace adds), its arguments swapped
for the leaky ones and ``restartPolicy: Never``. The kernel must kill it for its memory: the
kubelet reports ``OOMKilled`` with exit code 137. A leak that allocates its 512 MiB and runs on,
or any other ending, fails; the checker then deletes the pod. The pods' specs are read only to
say why. The leak is run once per state of the Deployment and the namespace's LimitRanges; the
framework's second look reads the same outcome.
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path
from typing import Any

from kubernetes import client

from threeplanes.checking import Checker, Context, Criterion, Failure
from threeplanes.checking.framework import remembered
from threeplanes.errors import WaitTimeout
from threeplanes.kit.effects import poll_until
from threeplanes.kit.pods import live, pod_log
from threeplanes.kit.wait import rollout_complete, wait_for_gone

_spec = importlib.util.spec_from_file_location("s8_memory_limit_setup", Path(__file__).with_name("setup.py"))
setup = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(setup)

NAME, LEAK = setup.NAME, "leak-check"
HOLD = 10  # seconds release 1 must run without a restart
LEAK_TIMEOUT = 60  # seconds for the leak to start and end, or to allocate all it wants
REUSE = 60  # seconds an outcome serves the checker's second look
SETUP = ".venv/bin/threeplanes exercise setup s8-memory-limit -n {namespace}"
HOLDS = f'Allocated "{setup.WORKING_SET}" memory'
LEAKED = f'Allocated "{setup.LEAK_TOTAL}" memory'


def cruncher(ctx: Context) -> Any | None:
    return ctx.get(ctx.cluster.apps.read_namespaced_deployment, NAME, ctx.namespace)


def pods(ctx: Context) -> list[Any]:
    return live(ctx.cluster.core.list_namespaced_pod(ctx.namespace, label_selector=f"app={NAME}").items)


def memory_limit(pod_or_template_spec: Any) -> str | None:
    container = pod_or_template_spec.containers[0]
    return ((container.resources and container.resources.limits) or {}).get("memory")


def memory_request(pod_or_template_spec: Any) -> str | None:
    container = pod_or_template_spec.containers[0]
    return ((container.resources and container.resources.requests) or {}).get("memory")


def set_up(ctx: Context) -> Failure | None:
    if cruncher(ctx) is None:
        return Failure(
            "no Deployment named cruncher in the namespace",
            f"run the exercise's setup first: {SETUP.format(namespace=ctx.namespace)}",
        )
    return None


# --- release 1 -------------------------------------------------------------------------------------


def restarts(pod: Any) -> int:
    return sum(s.restart_count for s in pod.status.container_statuses or [])


def oom_killed(pod: Any) -> Any | None:
    for s in pod.status.container_statuses or []:
        for state in (s.state, s.last_state):
            if state and state.terminated and state.terminated.reason == "OOMKilled":
                return state.terminated
    return None


def logged(ctx: Context, pod: Any) -> str:
    try:
        return pod_log(ctx.cluster, ctx.namespace, pod.metadata.name)
    except client.ApiException:
        return ""


_held: dict[tuple, tuple[float, Failure | None]] = {}


def release_one(ctx: Context) -> Failure | None:
    key = (ctx.namespace, tuple(sorted((p.metadata.uid, restarts(p)) for p in pods(ctx))))
    return remembered(_held, key, REUSE, lambda: watch(ctx))


def watch(ctx: Context) -> Failure | None:
    deployment = cruncher(ctx)
    start = pods(ctx)
    deadline = time.monotonic() + HOLD
    found = start
    while True:
        killed = next(((p, t) for p in found if (t := oom_killed(p))), None)
        if killed:
            pod, ended = killed
            limit = memory_limit(pod.spec) or "none"
            return Failure(
                f"release 1 was OOMKilled (exit code {ended.exit_code}) in {pod.metadata.name}, under the memory "
                f"limit {limit}",
                f"release 1 holds {setup.WORKING_SET} of data, and the process needs room beyond its data (the Go "
                "runtime, the pages of its binary): raise the limit so that it runs",
            )
        running = [p for p in found if p.status.phase == "Running"]
        if not found or len(running) < len(found) or not rollout_complete(cruncher(ctx) or deployment):
            waiting = [p.metadata.name for p in found if p.status.phase != "Running"]
            return Failure(
                f"cruncher's rollout is not complete ({', '.join(waiting) or 'no pod'} not running yet)",
                f"wait for it: kubectl rollout status deployment/{NAME} -n {ctx.namespace}",
            )
        if [(p.metadata.uid, restarts(p)) for p in found] != [(p.metadata.uid, restarts(p)) for p in start]:
            return Failure("cruncher's pods restarted or changed during the watch", "check again in a few seconds")
        if time.monotonic() >= deadline:
            break
        time.sleep(1)
        found = pods(ctx)
    silent = [p.metadata.name for p in found if HOLDS not in logged(ctx, p)]
    if silent:
        return Failure(
            f"{', '.join(silent)} has not logged {HOLDS!r}",
            "keep release 1 as the setup made it (its image and arguments); change only its resources",
        )
    return None


# --- release 2, the leak -------------------------------------------------------------------------


def leak_pod(deployment: Any, cluster: Any) -> dict:
    """Release 2 in a pod of its own: cruncher's pod spec, the leaky arguments, no restart, labels no
    ReplicaSet selects."""
    spec = cluster.api_client.sanitize_for_serialization(deployment.spec.template.spec)
    spec["restartPolicy"] = "Never"
    spec["containers"][0]["args"] = setup.LEAK_ARGS
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": LEAK, "labels": {"app": LEAK}}, "spec": spec}


def remove_leak(ctx: Context) -> None:
    try:
        ctx.cluster.core.delete_namespaced_pod(LEAK, ctx.namespace, grace_period_seconds=0)
    except client.ApiException as error:
        if error.status != 404:
            raise
    wait_for_gone(ctx.cluster.core.list_namespaced_pod, LEAK, what=f"pod {LEAK}", namespace=ctx.namespace)


def ended(pod: Any) -> Any | None:
    statuses = pod.status.container_statuses or []
    return statuses[0].state.terminated if statuses and statuses[0].state else None


def run_leak(ctx: Context) -> Failure | None:
    remove_leak(ctx)
    ctx.cluster.core.create_namespaced_pod(ctx.namespace, leak_pod(cruncher(ctx), ctx.cluster))

    def look() -> Any | None:
        return ctx.get(ctx.cluster.core.read_namespaced_pod, LEAK, ctx.namespace)

    try:
        # Polled, not watched: the log line of a leak that got all it wanted changes nothing in the pod.
        seen = poll_until(
            look,
            lambda pod: (
                pod is None or bool(ended(pod)) or (pod.status.phase == "Running" and LEAKED in logged(ctx, pod))
            ),
            what=f"release 2 ({LEAK}) to be killed, or to allocate its {setup.LEAK_TOTAL}",
            describe=lambda pod: pod.status.phase if pod else "no pod",
            timeout=LEAK_TIMEOUT,
        ).seen
        if seen is None:
            return Failure(f"the pod {LEAK} disappeared while it ran", "leave the checker's pod alone while it checks")
        return judge_leak(seen)
    except WaitTimeout as error:
        return Failure(str(error), "release 2 runs on the real node: is it Ready? kubectl get nodes")
    finally:
        remove_leak(ctx)


def judge_leak(pod: Any) -> Failure | None:
    limit, request = memory_limit(pod.spec), memory_request(pod.spec)
    end = ended(pod)
    if end is None:
        if limit is None:
            also = f" (it asks for {request}, a request)" if request else ""
            return Failure(
                f"release 2 allocated {setup.LEAK_TOTAL} and runs on: its container has no memory limit{also}",
                "a request only reserves room on a node for the scheduler; the kernel enforces limits.memory: set a "
                "memory limit",
            )
        return Failure(
            f"release 2 allocated {setup.LEAK_TOTAL} and runs on, under the memory limit {limit}",
            f"the limit is too high to stop the leak: set it below what the leak takes ({setup.LEAK_TOTAL} and the "
            "process's own), and above what release 1 needs",
        )
    if end.reason == "OOMKilled" and end.exit_code == 137:
        return None
    return Failure(
        f"release 2 ended with exit code {end.exit_code} ({end.reason}), not OOMKilled",
        "keep cruncher's container as the setup made it, and let its memory limit stop the leak",
    )


_outcomes: dict[tuple, tuple[float, Failure | None]] = {}


def release_two(ctx: Context) -> Failure | None:
    deployment = cruncher(ctx)
    ranges = ctx.cluster.core.list_namespaced_limit_range(ctx.namespace).items
    key = (
        ctx.namespace,
        deployment.metadata.uid,
        deployment.metadata.generation,
        tuple(sorted(r.metadata.resource_version for r in ranges)),
    )
    return remembered(_outcomes, key, REUSE, lambda: run_leak(ctx))


SET_UP = Criterion("The Deployment cruncher from the setup is there", set_up)
RELEASE_ONE = Criterion(
    f"Release 1 runs under your limit: Running for {HOLD} s, not restarted, holding its {setup.WORKING_SET}",
    release_one,
    needs=(SET_UP,),
)
RELEASE_TWO = Criterion(
    "Release 2's leak, run by the checker under the same resources, is OOMKilled (exit code 137)",
    release_two,
    needs=(SET_UP,),
)

CHECKER = Checker("Size a memory limit that stops a leak", [SET_UP, RELEASE_ONE, RELEASE_TWO])
