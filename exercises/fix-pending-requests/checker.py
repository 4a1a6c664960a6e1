"""Checker of the fix-pending-requests mission: every replica of ``reports`` placed and running, still
saying what it needs.

The scenario is the cluster's own: the scheduler must have placed both replicas of the current
template and the simulated workers must run them (Running and Ready), while every container still
requests CPU and memory (without requests the scheduler places a pod as if it needed nothing, which
hides the symptom). Scaling to zero fails too. The scheduler's own words (the pods' ``PodScheduled``
condition) and the nodes' allocatable CPU are read only to say why a step failed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kubernetes.utils import parse_quantity

from threeplanes.checking import Checker, Context, Criterion, Failure, criteria, missions
from threeplanes.kit.wait import is_ready, unschedulable_message

setup = missions.load_part(Path(__file__).parent, "setup")

NAME, REPLICAS = setup.NAME, setup.REPLICAS
SETUP = ".venv/bin/threeplanes exercise setup fix-pending-requests -n {namespace}"


def deployment(ctx: Context) -> Any:
    return criteria.deployment(ctx, NAME)


def requests_of(container: Any) -> dict:
    return dict((container.resources and container.resources.requests) or {})


def set_up(ctx: Context) -> Failure | None:
    if deployment(ctx) is None:
        return missions.not_set_up(f"Deployment {NAME}", SETUP.format(namespace=ctx.namespace))
    return None


def keeps_replicas(ctx: Context) -> Failure | None:
    wanted = deployment(ctx).spec.replicas or 0
    if wanted == 0:
        return Failure(
            f"Deployment {NAME} asks for 0 replicas",
            "scaling to zero hides the symptom (no pod is Pending) without curing it: no report is made. "
            f"Scale back to {REPLICAS} and find why the pods cannot be placed",
        )
    if wanted < REPLICAS:
        return Failure(
            f"Deployment {NAME} asks for {wanted} replica(s)",
            f"the reports need their {REPLICAS} replicas: kubectl scale deployment {NAME} --replicas={REPLICAS}",
        )
    return None


def states_needs(ctx: Context) -> Failure | None:
    for container in deployment(ctx).spec.template.spec.containers:
        asked = requests_of(container)
        missing = [r for r in ("cpu", "memory") if not asked.get(r) or parse_quantity(asked[r]) <= 0]
        if missing:
            return Failure(
                f"container {container.name} requests no {' and no '.join(missing)}",
                "removing the requests hides the symptom: the scheduler then places the pods as if they needed "
                "nothing, and a node fills up with more than it can run. Keep a request that says what the "
                "renderer needs, written so that a node can give it",
            )
    return None


def placed_and_running(ctx: Context) -> Failure | None:
    found, found_deployment = criteria.deployment_pods(ctx, NAME), deployment(ctx)
    if missions.rolled_and_ready(found_deployment, found):
        return None
    refused = [(p, m) for p in found if (m := unschedulable_message(p))]
    if not refused:
        return Failure(
            f"{len(found)} pod(s), {sum(is_ready(p) for p in found)} Ready",
            f"the pods are starting: check again in a few seconds (kubectl get pods -n {ctx.namespace})",
        )
    pod, message = refused[0]
    saw = f"{len(refused)} pod(s) Pending; the scheduler says of {pod.metadata.name}: {message}"
    asked = requests_of(pod.spec.containers[0]).get("cpu")
    if asked and asked != setup.REQUESTS["cpu"]:
        nodes = ctx.cluster.core.list_node().items
        most = max((parse_quantity((n.status.allocatable or {}).get("cpu", "0")) for n in nodes), default=0)
        return Failure(
            saw,
            f"the request is now cpu: {asked}, and the scheduler still finds no node that can give it: "
            f"the largest node has {most} CPU allocatable in all (kubectl describe nodes, Allocatable). "
            "How much did the author mean?",
        )
    return Failure(
        saw,
        f"the pods of {NAME} are Pending: the scheduler could not place them, and the scheduler says why in "
        "their events. Read it before changing anything",
    )


SET_UP = Criterion(f"The Deployment {NAME} is there", set_up)
REPLICAS_KEPT = Criterion(f"{NAME} still asks for its {REPLICAS} replicas", keeps_replicas, needs=(SET_UP,))
NEEDS = Criterion("Its containers still request CPU and memory", states_needs, needs=(SET_UP,))
PLACED = Criterion(
    f"Both replicas of {NAME} are placed by the scheduler, Running and Ready",
    placed_and_running,
    needs=(REPLICAS_KEPT, NEEDS),
)

CHECKER = Checker("Mission: the nightly reports are not being made", [SET_UP, REPLICAS_KEPT, NEEDS, PLACED])
