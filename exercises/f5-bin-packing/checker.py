"""Checker: a Deployment of six replicas whose CPU request fills the two exercise nodes exactly."""

from __future__ import annotations

from threeplanes.checks import Checker, Context, Criterion, Failure
from threeplanes.labnodes import POOL, OwnNodes
from threeplanes.packing import cpu, node_loads, pod_request, unschedulable_message
from threeplanes.wait import is_ready

EXERCISE = "f5-bin-packing"
NAME = "packed"
REPLICAS = 6
SETUP = f".venv/bin/python exercises/{EXERCISE}/setup.py"


def nodes(ctx: Context) -> list:
    return OwnNodes(ctx.namespace, owner=f"exercise-{EXERCISE}", pool=EXERCISE).list(ctx.cluster)


def deployment(ctx: Context):
    return ctx.get(ctx.cluster.apps.read_namespaced_deployment, NAME, ctx.namespace)


def live_pods(ctx: Context) -> list:
    labels = deployment(ctx).spec.selector.match_labels or {}
    selector = ",".join(f"{k}={v}" for k, v in labels.items())
    pods = ctx.cluster.core.list_namespaced_pod(ctx.namespace, label_selector=selector).items
    return [p for p in pods if not p.metadata.deletion_timestamp]


def nodes_exist(ctx: Context) -> Failure | None:
    if len(nodes(ctx)) != 2:
        return Failure(f"{len(nodes(ctx))} node(s) set up for {ctx.namespace}", f"run {SETUP} {ctx.namespace}")
    return None


def exists(ctx: Context) -> Failure | None:
    if deployment(ctx) is None:
        names = [d.metadata.name for d in ctx.cluster.apps.list_namespaced_deployment(ctx.namespace).items]
        saw = f"Deployments here: {', '.join(names)}" if names else "no Deployment in the namespace"
        return Failure(saw, f"create a Deployment named {NAME} (kubectl apply -n {ctx.namespace} -f packed.yaml)")
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


def all_running(ctx: Context) -> Failure | None:
    d, pods = deployment(ctx), live_pods(ctx)
    ready = [p for p in pods if is_ready(p)]
    current = (d.status.observed_generation or 0) >= d.metadata.generation
    if current and len(ready) == REPLICAS and len(pods) == REPLICAS:
        return None
    refused = [(p.metadata.name, unschedulable_message(p)) for p in pods if unschedulable_message(p)]
    if refused:
        name, why = refused[0]
        return Failure(
            f"{len(refused)} pod(s) Pending; the scheduler says of {name}: {why}", pending_hint(ctx, name, why)
        )
    return Failure(
        f"{len(ready)} of {REPLICAS} pods ready", f"wait for the rollout: kubectl rollout status deployment {NAME}"
    )


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


NODES = "The exercise's two nodes are set up"
EXISTS = f"A Deployment named {NAME} exists"
CPU = "Every container requests CPU"
RUNNING = f"All {REPLICAS} pods are running"

CHECKER = Checker(
    "Fit exactly six replicas on two nodes",
    [
        Criterion(NODES, nodes_exist),
        Criterion(EXISTS, exists),
        Criterion(f"It asks for {REPLICAS} replicas", six_replicas, needs=(EXISTS,)),
        Criterion("Its pods go to the exercise's nodes", placed_on_exercise_nodes, needs=(EXISTS,)),
        Criterion(CPU, requests_cpu, needs=(EXISTS,)),
        Criterion(RUNNING, all_running, needs=(NODES, f"It asks for {REPLICAS} replicas", CPU)),
        Criterion(
            "No node has room for a seventh", no_room_left, needs=(RUNNING, "Its pods go to the exercise's nodes")
        ),
    ],
)
