"""Checker: a Deployment that survives the loss of a node: spread, quick to leave, protected by a budget."""

from __future__ import annotations

from threeplanes.checking import Checker, Context, Criterion, Failure, criteria
from threeplanes.kit.labels import POOL
from threeplanes.kit.nodes import NodePool
from threeplanes.kit.wait import is_ready

EXERCISE = "f6-self-healing"
NAME = "resilient"
REPLICAS = 3
HOSTNAME = "kubernetes.io/hostname"
LOST_NODE_TAINTS = ("node.kubernetes.io/unreachable", "node.kubernetes.io/not-ready")
MAX_SECONDS = 10
SETUP = f".venv/bin/threeplanes exercise setup {EXERCISE} -n {{namespace}}"


def nodes(ctx: Context) -> list:
    return NodePool(ctx.namespace, owner=f"exercise-{EXERCISE}", pool=EXERCISE).nodes(ctx.cluster)


def deployment(ctx: Context):
    return criteria.deployment(ctx, NAME)


def template_labels(ctx: Context) -> dict[str, str]:
    return deployment(ctx).spec.template.metadata.labels or {}


def live_pods(ctx: Context) -> list:
    return criteria.deployment_pods(ctx, NAME)


def budgets(ctx: Context) -> list:
    """The PodDisruptionBudgets whose matchLabels select the Deployment's pods."""
    found = ctx.cluster.policy.list_namespaced_pod_disruption_budget(ctx.namespace).items
    labels = template_labels(ctx)
    return [
        b
        for b in found
        if b.spec.selector
        and b.spec.selector.match_labels
        and all(labels.get(k) == v for k, v in b.spec.selector.match_labels.items())
    ]


def nodes_exist(ctx: Context) -> Failure | None:
    if len(nodes(ctx)) != 3:
        return Failure(
            f"{len(nodes(ctx))} node(s) set up for {ctx.namespace}", f"run {SETUP.format(namespace=ctx.namespace)}"
        )
    return None


def three_replicas(ctx: Context) -> Failure | None:
    replicas = deployment(ctx).spec.replicas
    if replicas != REPLICAS:
        return Failure(f"spec.replicas is {replicas}", f"ask for {REPLICAS}: one per node")
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


def spreads_over_nodes(ctx: Context) -> Failure | None:
    spec = deployment(ctx).spec.template.spec
    constraints = spec.topology_spread_constraints or []
    strict = [c for c in constraints if c.topology_key == HOSTNAME and c.max_skew == 1]
    strict = [c for c in strict if c.when_unsatisfiable == "DoNotSchedule"]
    if strict and all(c.node_taints_policy != "Honor" for c in strict):
        return Failure(
            f"the constraint on {HOSTNAME} counts every node, tainted or not (nodeTaintsPolicy is "
            f"{strict[0].node_taints_policy or 'Ignore, the default'})",
            "set nodeTaintsPolicy: Honor: otherwise a lost node, tainted and emptied, still counts as a node "
            "with zero pods, and the scheduler leaves the replacement Pending",
        )
    if strict:
        return None
    seen = [f"{c.topology_key} maxSkew {c.max_skew} {c.when_unsatisfiable}" for c in constraints]
    return Failure(
        f"spread constraints in the pod template: {seen}" if seen else "nothing in the pod template spreads the pods",
        f"add topologySpreadConstraints with topologyKey {HOSTNAME}, maxSkew 1, whenUnsatisfiable DoNotSchedule, "
        "nodeTaintsPolicy Honor and a labelSelector matching the pods (ScheduleAnyway is only a preference)",
    )


def leaves_lost_node(ctx: Context) -> Failure | None:
    tolerations = deployment(ctx).spec.template.spec.tolerations or []
    for key in LOST_NODE_TAINTS:
        mine = [t for t in tolerations if t.key == key and t.effect in ("NoExecute", None)]
        if not mine:
            return Failure(
                f"the pod template sets no toleration for {key}, so the API server gives each pod the default: "
                "300 s on a lost node before it is evicted",
                f"tolerate {key} (operator Exists, effect NoExecute) with tolerationSeconds {MAX_SECONDS} or less",
            )
        seconds = mine[0].toleration_seconds
        if seconds is None or seconds > MAX_SECONDS:
            stays = "forever (no tolerationSeconds)" if seconds is None else f"{seconds} s"
            return Failure(f"the pods tolerate {key} {stays}", f"set tolerationSeconds to {MAX_SECONDS} or less")
    return None


def has_budget(ctx: Context) -> Failure | None:
    if budgets(ctx):
        return None
    others = [b.metadata.name for b in ctx.cluster.policy.list_namespaced_pod_disruption_budget(ctx.namespace).items]
    saw = f"budgets here select other pods: {', '.join(others)}" if others else "no PodDisruptionBudget here"
    labels = ", ".join(f"{k}: {v}" for k, v in template_labels(ctx).items())
    return Failure(saw, f"create a PodDisruptionBudget whose selector matchLabels is {{{labels}}}")


def all_running(ctx: Context) -> Failure | None:
    d, pods = deployment(ctx), live_pods(ctx)
    ready = [p for p in pods if is_ready(p)]
    current = (d.status.observed_generation or 0) >= d.metadata.generation
    if not (current and len(ready) == REPLICAS == len(pods)):
        pending = [p.metadata.name for p in pods if not p.spec.node_name]
        hint = f"kubectl describe pod {pending[0]} shows why it is Pending" if pending else "wait for the rollout"
        return Failure(f"{len(ready)} of {REPLICAS} pods ready", hint)
    per_node: dict[str, int] = {}
    for pod in pods:
        per_node[pod.spec.node_name] = per_node.get(pod.spec.node_name, 0) + 1
    if sorted(per_node.values()) != [1, 1, 1]:
        return Failure(f"pods per node: {per_node}", "delete the pods so the scheduler places them again")
    return None


def budget_allows_one(ctx: Context) -> Failure | None:
    budget = budgets(ctx)[0]
    s = budget.status
    if not s or (s.observed_generation or 0) < budget.metadata.generation or s.expected_pods != REPLICAS:
        return Failure(f"budget {budget.metadata.name} has not counted the pods yet", "check again in a few seconds")
    if (s.desired_healthy or 0) < REPLICAS - 1:
        return Failure(
            f"budget {budget.metadata.name} keeps only {s.desired_healthy} of {REPLICAS} pods available",
            "keep at least 2 available: minAvailable: 2 (or maxUnavailable: 1)",
        )
    if (s.disruptions_allowed or 0) < 1:
        return Failure(
            f"budget {budget.metadata.name} wants {s.desired_healthy} of {REPLICAS} pods healthy, so it allows no "
            "eviction at all: a node drain would wait forever",
            "allow one eviction: minAvailable: 2 (or maxUnavailable: 1)",
        )
    return None


NODES = Criterion("The exercise's three nodes are set up", nodes_exist)
EXISTS = criteria.deployment_exists(
    NAME, hint=f"create a Deployment named {NAME} (kubectl apply -n {{namespace}} -f resilient.yaml)"
)
COUNT = Criterion(f"It asks for {REPLICAS} replicas", three_replicas, needs=(EXISTS,))
PLACED = Criterion("Its pods go to the exercise's nodes", placed_on_exercise_nodes, needs=(EXISTS,))
SPREAD = Criterion("Its pods spread over nodes", spreads_over_nodes, needs=(EXISTS,))
LEAVES = Criterion(f"Its pods leave a lost node within {MAX_SECONDS} s", leaves_lost_node, needs=(EXISTS,))
BUDGET = Criterion("A PodDisruptionBudget covers its pods", has_budget, needs=(EXISTS,))
RUNNING = Criterion("Its 3 pods run, one per node", all_running, needs=(NODES, COUNT, PLACED))
ALLOWS_ONE = Criterion("The budget keeps 2 pods and allows one eviction", budget_allows_one, needs=(BUDGET, RUNNING))

CHECKER = Checker(
    "Survive the loss of a node", [NODES, EXISTS, COUNT, PLACED, SPREAD, LEAVES, BUDGET, RUNNING, ALLOWS_ONE]
)
