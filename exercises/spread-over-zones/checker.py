"""Checker: a Deployment of four replicas spread evenly over two zones.

The pods are judged by where they run and by a constraint that really applies to them: a spread
constraint whose labelSelector selects no pod (a typo, or no selector at all) counts nothing, and
the scheduler's default scoring may still happen to spread the pods.
"""

from threeplanes.checking import Checker, Context, Criterion, Failure, criteria
from threeplanes.functional.packing import selector_matches
from threeplanes.kit.wait import is_ready

ZONE = "topology.kubernetes.io/zone"
NAME = "hello"
REPLICAS = 4


def deployment(ctx: Context):
    return criteria.deployment(ctx, NAME)


def asks_for_four(ctx: Context) -> Failure | None:
    replicas = deployment(ctx).spec.replicas
    if replicas != REPLICAS:
        return Failure(
            f"spec.replicas is {replicas}",
            f"ask for {REPLICAS} replicas: kubectl scale deployment hello --replicas={REPLICAS}",
        )
    return None


def has_spread_constraint(ctx: Context) -> Failure | None:
    template = deployment(ctx).spec.template
    constraints = template.spec.topology_spread_constraints or []
    keys = [c.topology_key for c in constraints]
    strict = [
        c for c in constraints if c.topology_key == ZONE and c.max_skew == 1 and c.when_unsatisfiable == "DoNotSchedule"
    ]
    if not strict:
        saw = (
            f"topology keys in the pod template: {keys}"
            if keys
            else "the pod template has no topologySpreadConstraints"
        )
        if any(c.topology_key == ZONE and c.when_unsatisfiable == "ScheduleAnyway" for c in constraints):
            saw = f"the constraint on {ZONE} says ScheduleAnyway: a preference the scheduler may ignore"
        return Failure(
            saw,
            f"add to the pod template topologySpreadConstraints with topologyKey {ZONE}, maxSkew 1, "
            "whenUnsatisfiable DoNotSchedule and a labelSelector matching the pods",
        )
    labels = template.metadata.labels or {}
    if not any(selector_matches(c.label_selector, labels) for c in strict):
        saw = (
            "has no labelSelector"
            if strict[0].label_selector is None
            else "has a labelSelector that selects none of the pods"
        )
        shown = ", ".join(f"{k}: {v}" for k, v in labels.items())
        return Failure(
            f"the constraint on {ZONE} {saw}: it counts no pod, so it constrains nothing",
            f"give it a labelSelector that matches the pods' labels ({{{shown}}})",
        )
    return None


def pods(ctx: Context) -> list:
    return criteria.deployment_pods(ctx, NAME)


def all_ready(ctx: Context) -> Failure | None:
    ready = [p for p in pods(ctx) if is_ready(p)]
    if len(ready) != REPLICAS:
        pending = [p.metadata.name for p in pods(ctx) if not p.spec.node_name]
        hint = "wait for the rollout: kubectl rollout status deployment hello"
        if pending:
            hint = f"{len(pending)} pod(s) are not scheduled: kubectl describe pod {pending[0]} shows why"
        return Failure(f"{len(ready)} of {REPLICAS} pods ready", hint)
    return None


def balanced(ctx: Context) -> Failure | None:
    zone_of = {n.metadata.name: (n.metadata.labels or {}).get(ZONE) for n in ctx.cluster.core.list_node().items}
    per_zone: dict[str, int] = {}
    for pod in pods(ctx):
        zone = zone_of.get(pod.spec.node_name)
        per_zone[zone] = per_zone.get(zone, 0) + 1
    if sorted(per_zone.values()) != [2, 2]:
        return Failure(
            f"pods per zone: {per_zone}", "delete the pods so the scheduler places them again with the constraint"
        )
    return None


EXISTS = criteria.deployment_exists(
    NAME, hint="create one named hello: kubectl create deployment hello --image=<image> -n {namespace}"
)
FOUR = Criterion("It asks for 4 replicas", asks_for_four, needs=(EXISTS,))
SPREAD = Criterion("Its pods must spread over zones (maxSkew 1)", has_spread_constraint, needs=(EXISTS,))
READY = Criterion("All 4 pods are ready", all_ready, needs=(FOUR,))
BALANCED = Criterion("Each zone runs 2 pods", balanced, needs=(SPREAD, READY))

CHECKER = Checker("Spread four replicas over two zones", [EXISTS, FOUR, SPREAD, READY, BALANCED])
