"""Checker: a Deployment of six replicas whose CPU request fills the reader's two nodes exactly.

It judges what the scheduler would do, not how the manifest is written: which nodes the pod
template may land on (node selector or node affinity, and tolerations, whatever their form),
what the running pods really request (a limit alone sets the request; so does a LimitRange),
and whether a seventh pod would find room.
"""

from __future__ import annotations

from threeplanes.checking import Checker, Context, Criterion, Failure, criteria
from threeplanes.functional.packing import allowed_nodes, node_loads, pod_level_requests, pod_request
from threeplanes.kit.labels import POOL
from threeplanes.kit.nodes import NodePool
from threeplanes.kit.resources import cpu
from threeplanes.kit.wait import unschedulable_message

EXERCISE = "f5-bin-packing"
NAME = "packed"
REPLICAS = 6
SETUP = f".venv/bin/threeplanes exercise setup {EXERCISE} -n {{namespace}}"


def nodes(ctx: Context) -> list:
    key = "nodes"
    if key not in ctx.notes:
        ctx.notes[key] = NodePool(ctx.namespace, owner=f"exercise-{EXERCISE}").nodes(ctx.cluster)
    return ctx.notes[key]


def mine(ctx: Context) -> set[str]:
    return {n.metadata.name for n in nodes(ctx)}


def deployment(ctx: Context):
    return criteria.deployment(ctx, NAME)


def live_pods(ctx: Context) -> list:
    return criteria.deployment_pods(ctx, NAME)


def where_to(ctx: Context) -> str:
    return (
        f"select the label {POOL}={ctx.namespace} (a nodeSelector, or a required node affinity) and "
        f"tolerate the taint {POOL}={ctx.namespace}:NoSchedule"
    )


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
    """The nodes the pod template allows must be exactly the reader's two."""
    spec = deployment(ctx).spec.template.spec
    everywhere = ctx.cluster.core.list_node().items
    allowed = set(allowed_nodes(spec, everywhere))
    if allowed == mine(ctx):
        return None
    if not allowed & mine(ctx):
        mine_taint_ok = allowed_nodes(spec, [n for n in everywhere if n.metadata.name in mine(ctx)])
        why = "its selector picks other nodes" if mine_taint_ok or not nodes(ctx) else "it selects or tolerates none"
        return Failure(f"the pod template allows none of your nodes ({why})", where_to(ctx))
    others = sorted(allowed - mine(ctx))
    if others:
        shown = ", ".join(others[:3]) + (" ..." if len(others) > 3 else "")
        return Failure(
            f"the pod template also allows other nodes: {shown}",
            f"restrict the pods to your nodes: {where_to(ctx)}",
        )
    return Failure(f"the pod template allows only {', '.join(sorted(allowed))} of your nodes", where_to(ctx))


def cpu_requests(ctx: Context) -> dict[str, bool]:
    """For each container: does it request CPU? Read from the live pods when there are any (what the
    scheduler sees, after the API server set requests from limits or a LimitRange), else from the template.
    A pod-level CPU request (``spec.resources``) stands for all of them."""
    pods = live_pods(ctx)
    spec = pods[0].spec if pods else deployment(ctx).spec.template.spec
    whole = "cpu" in pod_level_requests(spec)
    return {c.name: whole or "cpu" in ((c.resources and c.resources.requests) or {}) for c in spec.containers}


def requests_cpu(ctx: Context) -> Failure | None:
    bare = [name for name, requested in cpu_requests(ctx).items() if not requested]
    if bare:
        return Failure(
            f"container(s) {', '.join(bare)} have no CPU request",
            "set resources.requests.cpu on every container (or once for the whole pod, in the pod's own "
            "resources): a pod without a CPU request passes the scheduler's fit check anywhere, so any number of "
            "them fits on a node",
        )
    return None


def explain_pending(ctx: Context, pods: list) -> str | None:
    """A hint from the scheduler's reason for leaving the first refused pod Pending; None if none was refused."""
    refused = [(p.metadata.name, unschedulable_message(p)) for p in pods if unschedulable_message(p)]
    if not refused:
        return None
    name, why = refused[0]
    allocatable = cpu(node_loads(nodes(ctx), [])[0].allocatable_cpu)
    if "Insufficient cpu" in why:
        return (
            f"Insufficient cpu: six pods of this request do not fit. Each node has {allocatable} allocatable, and a "
            "pod fits only where its request is no more than what is left: lower the request"
        )
    if "Insufficient memory" in why:
        return "Insufficient memory: each node has 4Gi allocatable; lower the memory request"
    if "untolerated taint" in why or "didn't match" in why:
        return f"the scheduler found no node for it: {where_to(ctx)}"
    return f"kubectl describe pod {name} -n {ctx.namespace} lists the reason for every node"


def no_room_left(ctx: Context) -> Failure | None:
    pods = live_pods(ctx)
    elsewhere = [p.metadata.name for p in pods if p.spec.node_name not in mine(ctx)]
    if elsewhere:
        return Failure(f"pods {', '.join(elsewhere)} run on other nodes", where_to(ctx))
    request = pod_request(pods[0])
    roomy = [load for load in node_loads(nodes(ctx), pods) if load.free_cpu >= request]
    if roomy:
        load, per_node = roomy[0], REPLICAS // len(nodes(ctx))
        return Failure(
            f"node {load.name} still has {cpu(load.free_cpu)} free, and each pod requests {cpu(request)}: "
            "a seventh replica would still fit",
            f"choose a request with which {per_node} pods fit in a node's {cpu(load.allocatable_cpu)} "
            f"but {per_node + 1} do not (a pod fits when its request is no more than what is free)",
        )
    return None


NODES = Criterion("Your two nodes are set up", nodes_exist)
EXISTS = criteria.deployment_exists(
    NAME, hint=f"create a Deployment named {NAME} (kubectl apply -n {{namespace}} -f packed.yaml)"
)
SIX = Criterion(f"It asks for {REPLICAS} replicas", six_replicas, needs=(EXISTS,))
PLACED = Criterion(
    "Its pods may run on your two nodes and nowhere else", placed_on_exercise_nodes, needs=(NODES, EXISTS)
)
CPU = Criterion("The pods request CPU (each container, or the pod as a whole)", requests_cpu, needs=(EXISTS,))
RUNNING = criteria.pods_ready(NAME, REPLICAS, needs=(NODES, SIX, PLACED, CPU), explain=explain_pending)
NO_ROOM = Criterion("No node has room for a seventh", no_room_left, needs=(RUNNING,))

CHECKER = Checker("Fit exactly six replicas on two nodes", [NODES, EXISTS, SIX, PLACED, CPU, RUNNING, NO_ROOM])
