"""Checker: a Service that reaches the pods of Deployment frontend, and only those, on port 80."""

from typing import Any

from threeplanes.checking import Checker, Context, Criterion, Failure, criteria
from threeplanes.functional.services import (
    endpoint_slices,
    is_headless,
    ready_endpoints,
    resolve_target_port,
    serving_port,
)
from threeplanes.kit.graph import selects
from threeplanes.kit.wait import is_ready, rollout_complete, rollout_state

DEPLOYMENT = "frontend"
SERVICE = "frontend"
PORT = 80
SETUP = ".venv/bin/threeplanes exercise setup f1-service-discovery -n {namespace}"
TEMPLATE_HASH = "pod-template-hash"


def deployment(ctx: Context) -> Any:
    return criteria.deployment(ctx, DEPLOYMENT)


def service(ctx: Context) -> Any:
    return ctx.get(ctx.cluster.core.read_namespaced_service, SERVICE, ctx.namespace)


def live_pods(ctx: Context) -> list[Any]:
    return [p for p in ctx.cluster.core.list_namespaced_pod(ctx.namespace).items if not p.metadata.deletion_timestamp]


def frontend_pods(ctx: Context) -> list[Any]:
    return criteria.deployment_pods(ctx, DEPLOYMENT)


def show(labels: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(labels.items()) if k != TEMPLATE_HASH)


def service_port(ctx: Context) -> Any:
    return next((p for p in service(ctx).spec.ports or [] if p.port == PORT), None)


def container_ports(ctx: Context) -> list[Any]:
    return [p for c in deployment(ctx).spec.template.spec.containers for p in c.ports or []]


def rolled_out(ctx: Context) -> Failure | None:
    found = deployment(ctx)
    if found is None:
        return Failure(
            "no Deployment named frontend in the namespace",
            f"apply the exercise's starting point first: {SETUP.format(namespace=ctx.namespace)}",
        )
    if not rollout_complete(found):
        return Failure(
            rollout_state(found), f"wait for it: kubectl rollout status deployment frontend -n {ctx.namespace}"
        )
    return None


def exists(ctx: Context) -> Failure | None:
    if service(ctx) is None:
        others = [s.metadata.name for s in ctx.cluster.core.list_namespaced_service(ctx.namespace).items]
        saw = f"Services here: {', '.join(others)}" if others else "no Service in the namespace"
        return Failure(
            saw,
            f"create one named frontend, e.g. kubectl expose deployment frontend --port {PORT} "
            f"--target-port <the container's port> -n {ctx.namespace}",
        )
    return None


def owner_names(ctx: Context, pods: list[Any]) -> list[str]:
    """The Deployments whose selectors match these pods."""
    names = {p.metadata.name for p in pods}
    deployments = [d.metadata.name for d in ctx.cluster.apps.list_namespaced_deployment(ctx.namespace).items]
    return sorted(d for d in deployments if names & {p.metadata.name for p in criteria.deployment_pods(ctx, d)})


def selects_frontend(ctx: Context) -> Failure | None:
    selector = service(ctx).spec.selector or {}
    if not selector:
        return Failure(
            "the Service has no selector",
            "without a selector Kubernetes makes no endpoints for it: add a selector matching the frontend pods",
        )
    wanted = {p.metadata.name for p in frontend_pods(ctx)}
    matched = [p for p in live_pods(ctx) if selects(selector, p.metadata.labels)]
    names = {p.metadata.name for p in matched}
    pod_labels = show(deployment(ctx).spec.template.metadata.labels)
    if names == wanted:
        return None
    if not matched:
        return Failure(
            f"the selector {show(selector)} matches no pod",
            f"the Service selects {show(selector)} but the pods carry {pod_labels}: use those labels",
        )
    extra = [p for p in matched if p.metadata.name not in wanted]
    if extra:
        others = ", ".join(owner_names(ctx, extra)) or "other pods"
        return Failure(
            f"the selector {show(selector)} matches {len(matched)} pods, {len(extra)} of them not frontend's",
            f"the selector {show(selector)} also matches pods of {others}: add a label only frontend's pods "
            f"carry ({pod_labels})",
        )
    return Failure(
        f"the selector {show(selector)} matches {len(names)} of the {len(wanted)} frontend pods",
        f"select the labels every frontend pod carries ({pod_labels}), not one pod's",
    )


def listens_on_80(ctx: Context) -> Failure | None:
    if service_port(ctx) is None:
        ports = [p.port for p in service(ctx).spec.ports or []]
        return Failure(
            f"the Service listens on port(s) {ports}",
            f"clients call frontend:{PORT}: set port: {PORT}, and let targetPort name the container's port",
        )
    return None


def has_cluster_ip(ctx: Context) -> Failure | None:
    if is_headless(service(ctx)):
        return Failure(
            "the Service is headless (clusterIP: None): it has no virtual IP, so nothing answers on frontend:80; "
            "its name resolves to the pods themselves, which listen on their own port",
            "remove clusterIP: None so that the Service gets a cluster IP (it cannot be changed on an existing "
            f"Service: kubectl delete service {SERVICE} -n {ctx.namespace}, then apply it again)",
        )
    return None


def describe_ports(ports: list[Any]) -> str:
    return " or ".join(f"{p.container_port} (named {p.name})" if p.name else str(p.container_port) for p in ports)


def reaches_container(ctx: Context) -> Failure | None:
    """The targetPort must reach the port the container's server listens on (its arguments say which),
    by number or through the name of a declared port."""
    target = service_port(ctx).target_port
    containers = deployment(ctx).spec.template.spec.containers
    for container in containers:
        reached = resolve_target_port(target, PORT, container)
        listening = serving_port(container)
        declared = {p.container_port for p in container.ports or []}
        # A program whose port its arguments do not say is judged by what it declares.
        if reached is not None and reached == listening or (listening is None and reached in declared):
            return None
    ports = container_ports(ctx)
    servers = sorted({port for c in containers if (port := serving_port(c)) is not None})
    listens = " and ".join(map(str, servers)) if servers else describe_ports(ports)
    names = ", ".join(p.name for p in ports if p.name)
    reached = {resolve_target_port(target, PORT, c) for c in containers} - {None}
    if not reached:
        return Failure(
            f"targetPort {target!r}, a name no container port carries",
            f"the container listens on {listens} (declared ports: {describe_ports(ports)}): use one of those names "
            "or numbers",
        )
    by_name = f" (the port named {target})" if not str(target).isdigit() else ""
    return Failure(
        f"targetPort {target} reaches port {', '.join(map(str, sorted(reached)))}{by_name}",
        f"targetPort {target} but the container listens on {listens}: point targetPort there"
        + (f" (by number, or by the name {names})" if names else ""),
    )


def ready_endpoints_match(ctx: Context) -> Failure | None:
    slices = endpoint_slices(ctx.cluster, ctx.namespace, SERVICE)
    endpoints = ready_endpoints(slices)
    pods = {p.metadata.name for p in frontend_pods(ctx) if is_ready(p)}
    if not endpoints:
        return Failure(
            "no ready endpoints",
            f"the EndpointSlice controller has not listed the pods yet; "
            f"look: kubectl get endpointslices -l kubernetes.io/service-name={SERVICE} -n {ctx.namespace}",
        )
    if endpoints != pods:
        return Failure(
            f"ready endpoints: {', '.join(sorted(endpoints))}; ready frontend pods: {', '.join(sorted(pods))}",
            "the endpoints catch up with the pods within seconds: check again",
        )
    return None


ROLLED_OUT = Criterion("The Deployment frontend (from setup.yaml) is rolled out", rolled_out)
EXISTS = Criterion("A Service named frontend exists", exists)
SELECTS = Criterion(
    "Its selector picks the frontend pods, and only those", selects_frontend, needs=(ROLLED_OUT, EXISTS)
)
PORT_80 = Criterion("Clients reach it on port 80", listens_on_80, needs=(EXISTS,))
CLUSTER_IP = Criterion("It has a cluster IP clients can call (it is not headless)", has_cluster_ip, needs=(EXISTS,))
TARGET = Criterion(
    "Its targetPort reaches the port the container's server listens on", reaches_container, needs=(ROLLED_OUT, PORT_80)
)
ENDPOINTS = Criterion(
    "Every frontend pod is a ready endpoint of the Service", ready_endpoints_match, needs=(SELECTS, TARGET, CLUSTER_IP)
)

CHECKER = Checker(
    "Put a Service in front of the frontend pods", [ROLLED_OUT, EXISTS, SELECTS, PORT_80, CLUSTER_IP, TARGET, ENDPOINTS]
)
