"""Checker: a Deployment of four replicas spread evenly over two zones."""

from threeplanes.checking import Checker, Context, Criterion, Failure, criteria
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
    constraints = deployment(ctx).spec.template.spec.topology_spread_constraints or []
    keys = [c.topology_key for c in constraints]
    if not any(
        c.topology_key == ZONE and c.max_skew == 1 and c.when_unsatisfiable == "DoNotSchedule" for c in constraints
    ):
        saw = (
            f"topology keys in the pod template: {keys}"
            if keys
            else "the pod template has no topologySpreadConstraints"
        )
        return Failure(
            saw,
            f"add to the pod template topologySpreadConstraints with topologyKey {ZONE}, maxSkew 1, "
            "whenUnsatisfiable DoNotSchedule and a labelSelector matching the pods",
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
