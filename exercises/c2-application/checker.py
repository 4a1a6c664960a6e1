"""Checker: the objects of a two-tier application, read back from the cluster and judged by what they do.

The brief: an application ``notes`` whose objects all carry ``app.kubernetes.io/part-of:
notes``; a Deployment ``web`` of two pods, each with an init container and a native sidecar
sharing a volume with the main container; a Deployment ``db`` of one pod; a Service per tier
that reaches that tier's pods and no others; the web containers read ``DB_HOST`` from the
ConfigMap ``notes-settings``, and that address names the Service ``db``.
"""

from __future__ import annotations

from typing import Any

from threeplanes.checking import Checker, Context, Criterion, Failure
from threeplanes.conceptual.application import containers_in_order, statuses
from threeplanes.conceptual.hierarchies import owned_by_deployment
from threeplanes.kit.graph import selects
from threeplanes.kit.wait import rollout_complete, rollout_state

PART_OF = "app.kubernetes.io/part-of=notes"
TIERS = {"web": (2, 8080), "db": (1, 5432)}  # Deployment and Service name: replicas, container port
SETTINGS = "notes-settings"


def objects(ctx: Context) -> dict[str, Any]:
    """The five objects of the brief by ``Kind/name`` (None when missing), read once per look."""
    if "objects" not in ctx.notes:
        core, apps = ctx.cluster.core, ctx.cluster.apps
        found = {f"ConfigMap/{SETTINGS}": ctx.get(core.read_namespaced_config_map, SETTINGS, ctx.namespace)}
        for name in TIERS:
            found[f"Deployment/{name}"] = ctx.get(apps.read_namespaced_deployment, name, ctx.namespace)
            found[f"Service/{name}"] = ctx.get(core.read_namespaced_service, name, ctx.namespace)
        ctx.notes["objects"] = found
    return ctx.notes["objects"]


def live_pods(ctx: Context) -> list[Any]:
    pods = ctx.cluster.core.list_namespaced_pod(ctx.namespace).items
    return [p for p in pods if not p.metadata.deletion_timestamp]


def tier_pods(ctx: Context, name: str) -> list[Any]:
    """The live pods that Deployment ``name`` owns, through its ReplicaSets (ownership, not labels)."""
    replicasets = ctx.cluster.apps.list_namespaced_replica_set(ctx.namespace).items
    return owned_by_deployment(replicasets, live_pods(ctx), name)


def all_there(ctx: Context) -> Failure | None:
    missing = [key for key, obj in objects(ctx).items() if obj is None]
    if missing:
        return Failure(
            f"missing: {', '.join(missing)}", "apply your manifest: kubectl apply -n <namespace> -f notes.yaml"
        )
    return None


def labelled(ctx: Context) -> Failure | None:
    key, value = PART_OF.split("=")
    unlabelled = [name for name, obj in objects(ctx).items() if (obj.metadata.labels or {}).get(key) != value]
    unlabelled += [
        f"Pod/{p.metadata.name}"
        for n in TIERS
        for p in tier_pods(ctx, n)
        if (p.metadata.labels or {}).get(key) != value
    ]
    if unlabelled:
        return Failure(
            f"without the label {PART_OF}: {', '.join(unlabelled)}",
            f"add {key}: {value} to metadata.labels of each object, and to the pod templates; "
            f"then kubectl get all,configmaps -l {PART_OF} finds the whole application",
        )
    return None


def tiers_ready(ctx: Context) -> Failure | None:
    for name, (replicas, _) in TIERS.items():
        deployment = objects(ctx)[f"Deployment/{name}"]
        if deployment.spec.replicas != replicas:
            return Failure(
                f"Deployment {name} asks for {deployment.spec.replicas} replicas", f"the brief says {replicas}"
            )
        if not rollout_complete(deployment):
            return Failure(
                f"Deployment {name}: {rollout_state(deployment)}", f"kubectl rollout status deployment {name}"
            )
    return None


def each_service_reaches_its_tier(ctx: Context) -> Failure | None:
    pods = live_pods(ctx)
    for name in TIERS:
        service = objects(ctx)[f"Service/{name}"]
        selected = {p.metadata.name for p in pods if selects(service.spec.selector, p.metadata.labels)}
        owned = {p.metadata.name for p in tier_pods(ctx, name)}
        strangers, missed = sorted(selected - owned), sorted(owned - selected)
        if strangers:
            return Failure(
                f"Service {name} also selects {', '.join(strangers)}, which Deployment {name} does not own",
                f"give each tier a label of its own (tier: {name}) and put it in Service {name}'s selector",
            )
        if missed:
            selector = ",".join(f"{k}={v}" for k, v in sorted((service.spec.selector or {}).items())) or "nothing"
            return Failure(
                f"Service {name} selects {selector}, which misses {', '.join(missed)}",
                f"make the selector of Service {name} match the labels of Deployment {name}'s pod template",
            )
    return None


def endpoints_on_the_right_port(ctx: Context) -> Failure | None:
    for name, (replicas, port) in TIERS.items():
        slices = ctx.cluster.discovery.list_namespaced_endpoint_slice(
            ctx.namespace, label_selector=f"kubernetes.io/service-name={name}"
        ).items
        ready = [e for s in slices for e in s.endpoints or [] if e.conditions and e.conditions.ready]
        ports = {p.port for s in slices for p in s.ports or []}
        if len(ready) != replicas:
            return Failure(
                f"Service {name} has {len(ready)} ready endpoint(s)", "wait a moment: endpoints follow the pods"
            )
        if ports != {port}:
            return Failure(
                f"Service {name} forwards to port(s) {sorted(p for p in ports if p) or 'none'} of its pods",
                f"set targetPort to {port}, the port the {name} container listens on",
            )
    return None


def web_pod_shape(ctx: Context) -> Failure | None:
    pods = tier_pods(ctx, "web")
    if not pods:
        return Failure("Deployment web owns no live pod", "wait for the rollout: kubectl rollout status deployment web")
    pod = pods[0]
    by_role: dict[str, list[Any]] = {"init": [], "sidecar": [], "main": []}
    for role, container in containers_in_order(pod):
        by_role[role].append(container)
    if not by_role["init"]:
        return Failure("the web pods have no init container that runs to completion", "add one under initContainers")
    if not by_role["sidecar"]:
        extra = [c.name for c in by_role["main"][1:]]
        saw = "the web pods have no sidecar" + (f"; {', '.join(extra)} run as main containers" if extra else "")
        return Failure(saw, "declare the sidecar under initContainers with restartPolicy: Always (a native sidecar)")
    # Only the volumes the pod template declares: admission adds a token volume to every container.
    declared = {v.name for v in objects(ctx)["Deployment/web"].spec.template.spec.volumes or []}
    mounts = {
        role: declared & {m.name for c in group for m in c.volume_mounts or []} for role, group in by_role.items()
    }
    if not mounts["init"] & mounts["sidecar"] & mounts["main"]:
        seen = "; ".join(f"{role} mounts {sorted(names) or 'nothing'}" for role, names in mounts.items())
        return Failure(
            f"no volume is mounted by an init container, a sidecar and a main container alike ({seen})",
            "mount one volume (an emptyDir) in all three: volumeMounts[].name must name the same volume",
        )
    seen = statuses(pod)
    sidecar = seen.get(by_role["sidecar"][0].name)
    if sidecar is None or not sidecar.started:
        return Failure("the sidecar has not started (as reported in the pod's status)", "wait for the pod to start")
    return None


def db_host(ctx: Context) -> Failure | None:
    settings = objects(ctx)[f"ConfigMap/{SETTINGS}"]
    value = (settings.data or {}).get("DB_HOST", "")
    host = value.split(":")[0].split(".")
    services = {s.metadata.name for s in ctx.cluster.core.list_namespaced_service(ctx.namespace).items}
    if not value or host[0] not in services or (len(host) > 1 and host[1] != ctx.namespace):
        return Failure(
            f"DB_HOST in ConfigMap {SETTINGS} is {value!r}, which names no Service of this namespace "
            f"(Services: {', '.join(sorted(services)) or 'none'})",
            "set DB_HOST to the name of the db tier's Service: db (or db.<namespace>.svc.cluster.local)",
        )
    for container in objects(ctx)["Deployment/web"].spec.template.spec.containers:
        if any(e.name == "DB_HOST" and e.value_from and e.value_from.config_map_key_ref for e in container.env or []):
            return None
        if any(s.config_map_ref and s.config_map_ref.name == SETTINGS for s in container.env_from or []):
            return None
    return Failure(
        f"the web containers do not take DB_HOST from ConfigMap {SETTINGS}",
        "env: [{name: DB_HOST, valueFrom: {configMapKeyRef: {name: notes-settings, key: DB_HOST}}}]",
    )


ALL = Criterion("The ConfigMap, both Deployments and both Services exist", all_there)
LABELLED = Criterion(f"Every object of the application carries {PART_OF}", labelled, needs=(ALL,))
READY = Criterion("web runs 2 ready pods and db 1", tiers_ready, needs=(ALL,))
REACH = Criterion(
    "Each Service selects the pods of its own tier, and only those", each_service_reaches_its_tier, needs=(READY,)
)
PORTS = Criterion(
    "Each Service has its tier's pods as ready endpoints, on their port", endpoints_on_the_right_port, needs=(REACH,)
)
SHAPE = Criterion(
    "A web pod: an init container and a native sidecar sharing a volume with the main one",
    web_pod_shape,
    needs=(READY,),
)
SETTINGS_READ = Criterion("web reads DB_HOST from notes-settings, and it names Service db", db_host, needs=(ALL,))

CHECKER = Checker(
    "Design the objects of the notes application",
    [ALL, LABELLED, READY, REACH, PORTS, SHAPE, SETTINGS_READ],
)
