"""Checker: a Deployment of six replicas whose CPU request fills the two exercise nodes exactly."""

from __future__ import annotations

from threeplanes.checking import Checker, Context, Criterion, Failure, criteria
from threeplanes.functional.packing import node_loads, pod_request
from threeplanes.kit.labels import POOL
from threeplanes.kit.nodes import NodePool
from threeplanes.kit.resources import cpu
from threeplanes.kit.wait import unschedulable_message

EXERCISE = "f5-bin-packing"
NAME = "packed"
REPLICAS = 6
SETUP = f".venv/bin/threeplanes exercise setup {EXERCISE} -n {{namespace}}"


def nodes(ctx: Context) -> list:
    return NodePool(ctx.namespace, owner=f"exercise-{EXERCISE}", pool=EXERCISE).nodes(ctx.cluster)


def deployment(ctx: Context):
    return criteria.deployment(ctx, NAME)


def live_pods(ctx: Context) -> list:
    return criteria.deployment_pods(ctx, NAME)


def nodes_exist(ctx: Context) -> Failure | None:
    if len(nodes(ctx)) != 2:
        return Failure(
            f"{len(nodes(ctx))} node(s) set up for {ctx.namespace}", f"run {SETUP.format(namespace=ctx.namespace)}"
        )
    return None


def six_replicas(ctx: Context) -> Failure | None:
    replicas = deployment(ctx).spec.replicas
    if replicas != REPLICAS:
        return Failure(
            f"spec.replicas is {replicas}", f"ask for {REPLICAS}: kubectl scale deployment {NAME} --replicas=6"
        )
    return None


def placed_on_exercise_nodes(ctx: Context) -> Failure | None:
    spec = deployment(ctx).spec.template.spec
    selects = (spec.node_selector or {}).get(POOL) == EXERCISE
    tolerates = any(t.key == POOL and t.value == EXERCISE and t.effect == "NoSchedule" for t in spec.tolerations or [])
    if selects and tolerates:
        return None
    missing = [part for part, ok in (("nodeSelector", selects), ("toleration", tolerates)) if not ok]
    return Failure(
        f"the pod template has no {' and no '.join(missing)} for the exercise's nodes",
        f"add nodeSelector {{{POOL}: {EXERCISE}}} and a toleration of the taint {POOL}={EXERCISE}:NoSchedule",
    )


def requests_cpu(ctx: Context) -> Failure | None:
    containers = deployment(ctx).spec.template.spec.containers
    bare = [c.name for c in containers if "cpu" not in ((c.resources and c.resources.requests) or {})]
    if bare:
        return Failure(
            f"container(s) {', '.join(bare)} have no CPU request",
            "set resources.requests.cpu: a pod without a CPU request counts as zero CPU, so the scheduler "
            "would fit any number of them on a node",
        )
    return None


def explain_pending(ctx: Context, pods: list) -> str | None:
    """A hint from the scheduler's reason for leaving the first refused pod Pending; None if none was refused."""
    refused = [(p.metadata.name, unschedulable_message(p)) for p in pods if unschedulable_message(p)]
    if not refused:
        return None
    name, why = refused[0]
    return pending_hint(ctx, name, why)


def pending_hint(ctx: Context, pod: str, why: str) -> str:
    """A hint chosen from the scheduler's reason for leaving ``pod`` Pending."""
    allocatable = cpu(node_loads(nodes(ctx), [])[0].allocatable_cpu)
    if "Insufficient cpu" in why:
        return (
            f"Insufficient cpu: six pods of this request do not fit. Each node has {allocatable} allocatable, and a "
            "pod fits only where its request is no more than what is left: lower the request"
        )
    if "Insufficient memory" in why:
        return "Insufficient memory: each node has 4Gi allocatable; lower the memory request"
    return f"kubectl describe pod {pod} -n {ctx.namespace} lists the reason for every node"


def no_room_left(ctx: Context) -> Failure | None:
    pods = live_pods(ctx)
    request = pod_request(pods[0])
    roomy = [load for load in node_loads(nodes(ctx), pods) if load.free_cpu >= request]
    elsewhere = [p.metadata.name for p in pods if p.spec.node_name not in {n.metadata.name for n in nodes(ctx)}]
    if elsewhere:
        return Failure(f"pods {', '.join(elsewhere)} run on other nodes", f"select the nodes of {ctx.namespace} only")
    if roomy:
        load, per_node = roomy[0], REPLICAS // len(nodes(ctx))
        return Failure(
            f"node {load.name} still has {cpu(load.free_cpu)} free, and each pod requests {cpu(request)}: "
            "a seventh replica would still fit",
            f"choose a request with which {per_node} pods fit in a node's {cpu(load.allocatable_cpu)} "
            f"but {per_node + 1} do not (a pod fits when its request is no more than what is free)",
        )
    return None


NODES = Criterion("The exercise's two nodes are set up", nodes_exist)
EXISTS = criteria.deployment_exists(
    NAME, hint=f"create a Deployment named {NAME} (kubectl apply -n {{namespace}} -f packed.yaml)"
)
SIX = Criterion(f"It asks for {REPLICAS} replicas", six_replicas, needs=(EXISTS,))
PLACED = Criterion("Its pods go to the exercise's nodes", placed_on_exercise_nodes, needs=(EXISTS,))
CPU = Criterion("Every container requests CPU", requests_cpu, needs=(EXISTS,))
RUNNING = criteria.pods_ready(NAME, REPLICAS, needs=(NODES, SIX, CPU), explain=explain_pending)
NO_ROOM = Criterion("No node has room for a seventh", no_room_left, needs=(RUNNING, PLACED))

CHECKER = Checker("Fit exactly six replicas on two nodes", [NODES, EXISTS, SIX, PLACED, CPU, RUNNING, NO_ROOM])
