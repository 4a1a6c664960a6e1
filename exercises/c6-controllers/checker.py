"""Checker: the database runs as a StatefulSet db, each replica with a claim of its own and a DNS name.

It judges what the controllers made, not how the manifest is written: the pods the
StatefulSet owns, the claims each one mounts (one each, none shared, all bound), the
headless Service its serviceName names and the pods it selects, and that no other pod still
mounts one of those claims or the old shared one.
"""

from typing import Any

from threeplanes.checking import Checker, Context, Criterion, Failure
from threeplanes.conceptual.controllers import claims_of, owner_name
from threeplanes.kit.graph import selects
from threeplanes.kit.labels import selector_string
from threeplanes.kit.wait import is_ready, pods_summary

NAME = "db"
REPLICAS = 3
SETUP = ".venv/bin/threeplanes exercise setup c6-controllers -n {namespace}"


def statefulset(ctx: Context) -> Any:
    if "statefulset" not in ctx.notes:
        ctx.notes["statefulset"] = ctx.get(ctx.cluster.apps.read_namespaced_stateful_set, NAME, ctx.namespace)
    return ctx.notes["statefulset"]


def live_pods(ctx: Context) -> list[Any]:
    return [p for p in ctx.cluster.core.list_namespaced_pod(ctx.namespace).items if not p.metadata.deletion_timestamp]


def own_pods(ctx: Context) -> list[Any]:
    """The live pods the StatefulSet owns, by name."""
    return sorted(
        (p for p in live_pods(ctx) if owner_name(p) == NAME and p.metadata.owner_references[0].kind == "StatefulSet"),
        key=lambda p: p.metadata.name,
    )


def setup_exists(ctx: Context) -> Failure | None:
    if ctx.get(ctx.cluster.core.read_namespaced_persistent_volume_claim, "data", ctx.namespace) is None:
        return Failure(
            "no claim named data from the setup",
            f"apply the exercise's starting point first: {SETUP.format(namespace=ctx.namespace)}",
        )
    return None


def statefulset_exists(ctx: Context) -> Failure | None:
    if statefulset(ctx) is not None:
        return None
    kinds = [f"Deployment {d.metadata.name}" for d in ctx.cluster.apps.list_namespaced_deployment(ctx.namespace).items]
    return Failure(
        f"no StatefulSet named {NAME}" + (f" ({', '.join(kinds)} is there)" if kinds else ""),
        f"replace the Deployment with a StatefulSet named {NAME}: same pod template, serviceName: {NAME}, and "
        "volumeClaimTemplates with a template named data instead of the shared claim",
    )


def claims_of_their_own(ctx: Context) -> Failure | None:
    pods = own_pods(ctx)
    if not pods:
        return Failure(
            f"StatefulSet {NAME} has no pods yet", f"wait a few seconds: kubectl get pods -n {ctx.namespace} -w"
        )
    mounted = {p.metadata.name: claims_of(p) for p in pods}
    shared = {c for claims in mounted.values() for c in claims if sum(c in cs for cs in mounted.values()) > 1}
    if shared or not all(mounted.values()):
        saw = f"the pods mount {', '.join(sorted(shared))} together" if shared else "some pods mount no claim"
        return Failure(
            saw,
            "give each replica its own claim: volumeClaimTemplates (a template named data) instead of a "
            "persistentVolumeClaim volume in the pod template",
        )
    return None


def claims_bound(ctx: Context) -> Failure | None:
    claims = {c for p in own_pods(ctx) for c in claims_of(p)}
    found = {c.metadata.name: c for c in ctx.cluster.core.list_namespaced_persistent_volume_claim(ctx.namespace).items}
    pending = sorted(c for c in claims if c not in found or found[c].status.phase != "Bound")
    if pending:
        return Failure(
            f"claim(s) {', '.join(pending)} not bound",
            "the setup reserved volumes for the claims data-db-0 to data-db-2: name the StatefulSet db and its "
            "claim template data, and ask for 1Gi, ReadWriteOnce",
        )
    return None


def headless_service(ctx: Context) -> Failure | None:
    name = statefulset(ctx).spec.service_name
    service = ctx.get(ctx.cluster.core.read_namespaced_service, name, ctx.namespace) if name else None
    if service is None:
        return Failure(
            f"serviceName is {name!r}, and no Service has that name",
            f"create a headless Service named {NAME} (clusterIP: None) selecting the pods, and set serviceName: {NAME}",
        )
    if service.spec.cluster_ip != "None":
        return Failure(
            f"the Service {name} has the cluster IP {service.spec.cluster_ip}",
            "make it headless, clusterIP: None, so that each pod gets its own DNS name (db-0.db...); the field "
            "cannot be changed: delete the Service and create it again",
        )
    missed = [p.metadata.name for p in own_pods(ctx) if not selects(service.spec.selector, p.metadata.labels)]
    if missed:
        return Failure(
            f"the Service {name} does not select {', '.join(missed)}", "make its selector match the pods' labels"
        )
    return None


def nothing_else_mounts(ctx: Context) -> Failure | None:
    own = {p.metadata.name for p in own_pods(ctx)}
    claims = {c for p in own_pods(ctx) for c in claims_of(p)} | {"data"}
    others = [p for p in live_pods(ctx) if p.metadata.name not in own and set(claims_of(p)) & claims]
    if others:
        owners = sorted({owner_name(p) or p.metadata.name for p in others})
        return Failure(
            f"{len(others)} other pod(s) ({', '.join(owners)}) still mount the claims",
            f"delete the old Deployment: kubectl delete deployment {NAME} -n {ctx.namespace}",
        )
    return None


def all_ready(ctx: Context) -> Failure | None:
    pods = own_pods(ctx)
    wanted = [f"{NAME}-{i}" for i in range(REPLICAS)]
    found = statefulset(ctx)
    if [p.metadata.name for p in pods] == wanted and all(map(is_ready, pods)) and found.spec.replicas == REPLICAS:
        return None
    return Failure(
        f"{pods_summary(pods)}; {found.spec.replicas} replicas wanted",
        f"run {REPLICAS} replicas and wait for {', '.join(wanted)}: "
        f"kubectl get pods -l {selector_string(found.spec.selector)}",
    )


SETUP_OK = Criterion("The claim data from the setup exists", setup_exists)
STATEFULSET = Criterion("A StatefulSet named db exists", statefulset_exists, needs=(SETUP_OK,))
OWN_CLAIMS = Criterion("Each of its pods mounts a claim of its own", claims_of_their_own, needs=(STATEFULSET,))
BOUND = Criterion("Every one of those claims is bound to a volume", claims_bound, needs=(OWN_CLAIMS,))
HEADLESS = Criterion(
    "Its serviceName is a headless Service that selects its pods", headless_service, needs=(STATEFULSET,)
)
ALONE = Criterion("No other pod mounts those claims or the old shared one", nothing_else_mounts, needs=(STATEFULSET,))
READY = Criterion("db-0, db-1 and db-2 are Ready", all_ready, needs=(BOUND, HEADLESS, ALONE))

CHECKER = Checker(
    "Give each database replica its own claim", [SETUP_OK, STATEFULSET, OWN_CLAIMS, BOUND, HEADLESS, ALONE, READY]
)
