"""Checker: selection repaired, no orphans left, and one field handed from one manager to another.

The brief, on top of what the setup left: Service ``catalog`` must reach the pods Deployment
``catalog`` owns and no others; no pod and no ReplicaSet may be left without a controlling
owner; Deployment ``catalog`` runs three replicas, and ``spec.replicas`` belongs to the field
manager ``oncall`` alone. The last point is judged by asking the API server: a dry-run apply of
another value, under a manager of the checker's own, must conflict with ``oncall`` and with
nobody else.
"""

from __future__ import annotations

from typing import Any

from kubernetes import client

from threeplanes.checking import Checker, Context, Criterion, Failure, criteria
from threeplanes.conceptual.apply import conflicts, server_side_apply
from threeplanes.conceptual.hierarchies import controller_of, owned_by_deployment
from threeplanes.kit.graph import selects
from threeplanes.kit.wait import rollout_complete, rollout_state

PROBE = "threeplanes-checker"  # the checker's own field manager; its applies are dry runs
REPLICAS = 3


def live(items: list[Any]) -> list[Any]:
    return [o for o in items if not o.metadata.deletion_timestamp]


def pods(ctx: Context) -> list[Any]:
    return live(ctx.cluster.core.list_namespaced_pod(ctx.namespace).items)


def replicasets(ctx: Context) -> list[Any]:
    return live(ctx.cluster.apps.list_namespaced_replica_set(ctx.namespace).items)


def labels_text(labels: dict[str, str] | None) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted((labels or {}).items())) or "nothing"


def service_reaches_catalog(ctx: Context) -> Failure | None:
    service = ctx.get(ctx.cluster.core.read_namespaced_service, "catalog", ctx.namespace)
    if service is None:
        return Failure("no Service catalog", "the setup made one: run the exercise's setup again")
    everything = pods(ctx)
    owned = {p.metadata.name for p in owned_by_deployment(replicasets(ctx), everything, "catalog")}
    selected = {p.metadata.name for p in everything if selects(service.spec.selector, p.metadata.labels)}
    selector = labels_text(service.spec.selector)
    if not selected:
        return Failure(
            f"Service catalog selects {selector}, which no pod carries",
            "compare with the labels of Deployment catalog's pods: kubectl get pods --show-labels",
        )
    if selected - owned:
        strangers = sorted(selected - owned)
        return Failure(
            f"Service catalog ({selector}) also selects {', '.join(strangers)}, which Deployment catalog does not own",
            "select on every label that sets the catalog's pods apart (role as well as app)",
        )
    if owned - selected:
        return Failure(f"Service catalog misses {', '.join(sorted(owned - selected))}", "widen the selector")
    return None


def nothing_orphaned(ctx: Context) -> Failure | None:
    for rs in replicasets(ctx):
        if controller_of(rs) is None:
            return Failure(
                f"ReplicaSet {rs.metadata.name} has no owner, and keeps {rs.status.replicas or 0} pod(s) running",
                f"delete it with its pods: kubectl delete replicaset {rs.metadata.name} (the default cascade)",
            )
    for pod in pods(ctx):
        if controller_of(pod) is None:
            return Failure(
                f"pod {pod.metadata.name} has no owner: nothing will replace it, nothing will delete it",
                f"kubectl delete pod {pod.metadata.name}; an orphaning delete (--cascade=orphan) leaves pods behind",
            )
    return None


def three_replicas(ctx: Context) -> Failure | None:
    deployment = criteria.deployment(ctx, "catalog")
    if deployment.spec.replicas != REPLICAS:
        return Failure(
            f"Deployment catalog asks for {deployment.spec.replicas} replicas",
            "apply spec.replicas: 3 as oncall: kubectl apply --server-side --field-manager=oncall -f scale.yaml",
        )
    if not rollout_complete(deployment):
        return Failure(rollout_state(deployment), "wait for the rollout: kubectl rollout status deployment catalog")
    return None


def oncall_alone_owns_replicas(ctx: Context) -> Failure | None:
    probe = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "catalog"}, "spec": {"replicas": 7}}
    try:
        server_side_apply(ctx.cluster, ctx.namespace, probe, PROBE, dry_run=True)
    except client.ApiException as error:
        if error.status != 409:
            raise
        owners = sorted({c.manager for c in conflicts(error) if c.field == ".spec.replicas"})
    else:
        return Failure("nobody owns spec.replicas of Deployment catalog", "apply it as oncall with server-side apply")
    if owners == ["oncall"]:
        return None
    others = [o for o in owners if o != "oncall"]
    if "oncall" in owners:
        return Failure(
            f"spec.replicas is shared by oncall and {', '.join(others)}: the next change by either one conflicts",
            f"apply {others[0]}'s manifest again without replicas, so that {others[0]} gives the field up",
        )
    return Failure(
        f"spec.replicas belongs to {', '.join(owners)}, not to oncall",
        "kubectl scale and kubectl edit write as other managers: use kubectl apply --server-side "
        "--field-manager=oncall --force-conflicts -f scale.yaml",
    )


SERVICE = Criterion("Service catalog reaches exactly the pods Deployment catalog owns", service_reaches_catalog)
ORPHANS = Criterion("No ReplicaSet and no pod is left without an owner", nothing_orphaned)
CATALOG = criteria.deployment_exists("catalog", hint="the setup made it: run the exercise's setup again")
THREE = Criterion("Deployment catalog runs 3 ready replicas", three_replicas, needs=(CATALOG,))
ONCALL = Criterion(
    "spec.replicas belongs to the field manager oncall alone", oncall_alone_owns_replicas, needs=(CATALOG,)
)

CHECKER = Checker(
    "Repair a selection, retire an orphan, hand a field to another manager",
    [SERVICE, ORPHANS, CATALOG, THREE, ONCALL],
)
