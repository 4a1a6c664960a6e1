"""Checker: a Deployment that survives the loss of a node: spread, quick to leave, protected by a budget.

It judges what the control plane would do with what the reader wrote, whatever its form: the
nodes the pod template allows, whether the spread constraint's selector counts the pods at all,
the time the pods really tolerate a lost node (the smallest tolerationSeconds of every toleration
that matches the taint), and which budgets the Eviction API would consult.
"""

from __future__ import annotations

from threeplanes.checking import Checker, Context, Criterion, Failure, criteria
from threeplanes.functional.packing import allowed_nodes, selector_matches, tolerates
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
    if "nodes" not in ctx.notes:
        ctx.notes["nodes"] = NodePool(ctx.namespace, owner=f"exercise-{EXERCISE}").nodes(ctx.cluster)
    return ctx.notes["nodes"]


def mine(ctx: Context) -> set[str]:
    return {n.metadata.name for n in nodes(ctx)}


def where_to(ctx: Context) -> str:
    return (
        f"select the label {POOL}={ctx.namespace} (a nodeSelector, or a required node affinity) and "
        f"tolerate the taint {POOL}={ctx.namespace}:NoSchedule"
    )


def deployment(ctx: Context):
    return criteria.deployment(ctx, NAME)


def template_labels(ctx: Context) -> dict[str, str]:
    return deployment(ctx).spec.template.metadata.labels or {}


def live_pods(ctx: Context) -> list:
    return criteria.deployment_pods(ctx, NAME)


def budgets(ctx: Context) -> list:
    """The PodDisruptionBudgets whose selector (matchLabels or matchExpressions) selects the Deployment's pods."""
    found = ctx.cluster.policy.list_namespaced_pod_disruption_budget(ctx.namespace).items
    return [b for b in found if selector_matches(b.spec.selector, template_labels(ctx))]


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
    """The nodes the pod template allows must be exactly the reader's three."""
    allowed = set(allowed_nodes(deployment(ctx).spec.template.spec, ctx.cluster.core.list_node().items))
    if allowed == mine(ctx):
        return None
    if not allowed & mine(ctx):
        return Failure("the pod template allows none of your nodes", where_to(ctx))
    others = sorted(allowed - mine(ctx))
    if others:
        shown = ", ".join(others[:3]) + (" ..." if len(others) > 3 else "")
        return Failure(f"the pod template also allows other nodes: {shown}", f"restrict the pods: {where_to(ctx)}")
    return Failure(f"the pod template allows only {', '.join(sorted(allowed))} of your nodes", where_to(ctx))


def spreads_over_nodes(ctx: Context) -> Failure | None:
    spec = deployment(ctx).spec.template.spec
    constraints = spec.topology_spread_constraints or []
    strict = [c for c in constraints if c.topology_key == HOSTNAME and c.max_skew == 1]
    strict = [c for c in strict if c.when_unsatisfiable == "DoNotSchedule"]
    if not strict:
        seen = [f"{c.topology_key} maxSkew {c.max_skew} {c.when_unsatisfiable}" for c in constraints]
        return Failure(
            f"spread constraints in the pod template: {seen}"
            if seen
            else "nothing in the pod template spreads the pods",
            f"add topologySpreadConstraints with topologyKey {HOSTNAME}, maxSkew 1, whenUnsatisfiable DoNotSchedule, "
            "nodeTaintsPolicy Honor and a labelSelector matching the pods (ScheduleAnyway is only a preference)",
        )
    labels = template_labels(ctx)
    counting = [c for c in strict if selector_matches(c.label_selector, labels)]
    if not counting:
        selector = strict[0].label_selector
        saw = "has no labelSelector" if selector is None else "has a labelSelector that selects none of the pods"
        shown = ", ".join(f"{k}: {v}" for k, v in labels.items())
        return Failure(
            f"the constraint on {HOSTNAME} {saw}: it counts no pod, so it constrains nothing",
            f"give it a labelSelector that matches the pods' labels ({{{shown}}})",
        )
    if all(c.node_taints_policy != "Honor" for c in counting):
        return Failure(
            f"the constraint on {HOSTNAME} counts every node, tainted or not (nodeTaintsPolicy is "
            f"{counting[0].node_taints_policy or 'Ignore, the default'})",
            "set nodeTaintsPolicy: Honor: otherwise a lost node, tainted and emptied, still counts as a node "
            "with zero pods, and the scheduler leaves the replacement Pending",
        )
    return None


def leaves_lost_node(ctx: Context) -> Failure | None:
    """How long the pods stay on a lost node: the taint eviction controller uses the smallest
    tolerationSeconds among the tolerations that match the taint (none set: forever)."""
    tolerations = deployment(ctx).spec.template.spec.tolerations or []
    for key in LOST_NODE_TAINTS:
        taint = {"key": key, "effect": "NoExecute"}
        matching = [t for t in tolerations if tolerates(t, taint)]
        if not matching:
            return Failure(
                f"the pod template sets no toleration for {key}, so the API server gives each pod the default: "
                "300 s on a lost node before it is evicted",
                f"tolerate {key} (operator Exists, effect NoExecute) with tolerationSeconds {MAX_SECONDS} or less",
            )
        limits = [t.toleration_seconds for t in matching if t.toleration_seconds is not None]
        seconds = min(limits, default=None)
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


def one_budget(ctx: Context) -> Failure | None:
    found = budgets(ctx)
    if len(found) > 1:
        names = ", ".join(b.metadata.name for b in found)
        return Failure(
            f"budgets {names} all select the pods",
            "keep one: the Eviction API refuses to evict a pod that more than one budget selects, "
            "so a drain would never finish",
        )
    return None


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


NODES = Criterion("Your three nodes are set up", nodes_exist)
EXISTS = criteria.deployment_exists(
    NAME, hint=f"create a Deployment named {NAME} (kubectl apply -n {{namespace}} -f resilient.yaml)"
)
COUNT = Criterion(f"It asks for {REPLICAS} replicas", three_replicas, needs=(EXISTS,))
PLACED = Criterion(
    "Its pods may run on your three nodes and nowhere else", placed_on_exercise_nodes, needs=(NODES, EXISTS)
)
SPREAD = Criterion("Its pods spread over nodes", spreads_over_nodes, needs=(EXISTS,))
LEAVES = Criterion(f"Its pods leave a lost node within {MAX_SECONDS} s", leaves_lost_node, needs=(EXISTS,))
BUDGET = Criterion("A PodDisruptionBudget covers its pods", has_budget, needs=(EXISTS,))
ONE_BUDGET = Criterion("Only one budget selects them", one_budget, needs=(BUDGET,))
RUNNING = Criterion("Its 3 pods run, one per node", all_running, needs=(NODES, COUNT, PLACED))
ALLOWS_ONE = Criterion(
    "The budget keeps 2 pods and allows one eviction", budget_allows_one, needs=(ONE_BUDGET, RUNNING)
)

CHECKER = Checker(
    "Survive the loss of a node",
    [NODES, EXISTS, COUNT, PLACED, SPREAD, LEAVES, BUDGET, ONE_BUDGET, RUNNING, ALLOWS_ONE],
)
