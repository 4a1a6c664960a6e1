"""Checker: other pods calling http://frontend on port 80 reach the frontend pods, every one of them in turn,
and never the admin pod.

It judges by requests, sent as a caller would send them: from a client pod of its own on the real node,
where the setup's pods run, ``REQUESTS`` GETs of ``http://frontend/hostname`` through the Service's DNS
name, port 80 (agnhost netexec answers with its pod's name; kube-proxy picks a pod at random for each).
Every request must be answered, by frontend pods only, and each of them must answer at least once. A
round that fails is sent again for ``SETTLE_S`` seconds: kube-proxy writes the node's rules a moment after
the EndpointSlice appears. Only a failure makes it read the Service, the pods and the EndpointSlices, to
say why: no selector, a selector that misses the frontend pods or takes admin's too, no port 80, no
cluster IP, a targetPort where nothing listens, session affinity. The requests are sent once per state of
the Service and the pods: the framework's second look reads the same outcome.

Then the checker rolls the frontend out again, as its team will (``kubectl rollout restart``: new pods, new
names, a new ``pod-template-hash``), waits for the rollout, and sends the requests again: they must be
answered by the new pods only, and never by admin. A selector copied from one generation of pods (their
``pod-template-hash``) passes the first round and fails this one. The rollout is made once per state of the
Service.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from threeplanes.checking import Checker, Context, Criterion, Failure, criteria
from threeplanes.checking.framework import remembered
from threeplanes.checking.missions import client_runs, requests_from, settled
from threeplanes.errors import LabError
from threeplanes.functional.services import (
    endpoint_slices,
    is_headless,
    ready_endpoints,
    resolve_target_port,
    serving_port,
)
from threeplanes.kit.control_plane import REAL_NODE_NAME
from threeplanes.kit.effects import poll_until
from threeplanes.kit.graph import selects
from threeplanes.kit.kubectl import kubectl
from threeplanes.kit.pods import live
from threeplanes.kit.wait import is_ready, rollout_complete, rollout_state, wait_for_rollout

DEPLOYMENT = "frontend"
OTHER = "admin"  # the Deployment of the same tier whose pods must never answer
SERVICE = "frontend"
CLIENT = "checker-client"  # the checker's own pod, which sends the requests
PORT = 80
URL = f"http://{SERVICE}/hostname"
# Requests per round, in one exec, a twentieth of a second apart (about 3 s). Not fewer, though three
# frontend pods are usually all heard from within ten: a selector that also takes the admin pod must
# show it, and kube-proxy leaves it out of 40 random picks among four pods once in 100,000 rounds.
REQUESTS = 40
SETTLE_S = 8  # seconds a failing round is sent again, while the node's rules catch up
REUSE_S = 10  # seconds a round serves the same state: the checker's second look
ROLLOUT_S = 45  # for three new frontend pods on the real node, Ready, the old ones gone
ROLLED: dict = {}  # the outcome of the checker's rollout, per state of the Service
ROLLED_REUSE_S = 120
SETUP = ".venv/bin/threeplanes exercise setup f1-service-discovery -n {namespace}"
TEMPLATE_HASH = "pod-template-hash"
OUTCOMES: dict[tuple, tuple[float, list[str]]] = {}


def deployment(ctx: Context) -> Any:
    return criteria.deployment(ctx, DEPLOYMENT)


def service(ctx: Context) -> Any:
    if "service" not in ctx.notes:
        ctx.notes["service"] = ctx.get(ctx.cluster.core.read_namespaced_service, SERVICE, ctx.namespace)
    return ctx.notes["service"]


def live_pods(ctx: Context) -> list[Any]:
    """Every live pod of the namespace but the checker's client."""
    pods = live(ctx.cluster.core.list_namespaced_pod(ctx.namespace).items)
    return [p for p in pods if p.metadata.name != CLIENT]


def frontend_pods(ctx: Context) -> list[Any]:
    return criteria.deployment_pods(ctx, DEPLOYMENT)


def ready_frontend(ctx: Context) -> set[str]:
    return {p.metadata.name for p in frontend_pods(ctx) if is_ready(p)}


def show(labels: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(labels.items()) if k != TEMPLATE_HASH)


def service_port(ctx: Context) -> Any:
    return next((p for p in service(ctx).spec.ports or [] if p.port == PORT), None)


def container_ports(ctx: Context) -> list[Any]:
    return [p for c in deployment(ctx).spec.template.spec.containers for p in c.ports or []]


# --- the setup and the Service ---------------------------------------------------------------------------


def rolled_out(ctx: Context) -> Failure | None:
    setup = SETUP.format(namespace=ctx.namespace)
    for name in (DEPLOYMENT, OTHER):
        found = criteria.deployment(ctx, name)
        if found is None:
            return Failure(
                f"no Deployment named {name} in the namespace", f"apply the exercise's starting point first: {setup}"
            )
        if not rollout_complete(found):
            return Failure(
                f"Deployment {name}: {rollout_state(found)}",
                f"wait for it: kubectl rollout status deployment {name} -n {ctx.namespace}",
            )
        nodes = {p.spec.node_name for p in criteria.deployment_pods(ctx, name)} - {REAL_NODE_NAME}
        if nodes:
            return Failure(
                f"pods of {name} run on {', '.join(sorted(nodes))}, simulated nodes where no container runs",
                f"the checker sends real requests: apply the starting point again, which puts the pods on the "
                f"book's real node: {setup}",
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


def client_ready(ctx: Context) -> Failure | None:
    return client_runs(ctx, CLIENT)


# --- the requests ----------------------------------------------------------------------------------------


def kept(answers: list[str], frontend: set[str]) -> bool:
    """True when every request was answered, by frontend pods only, and each of them answered."""
    return bool(answers) and set(answers) == frontend


def play(ctx: Context) -> list[str]:
    """A round of requests to the ready frontend pods; the last round's answers (see ``send_round``)."""
    return send_round(ctx, ready_frontend(ctx))


def send_round(ctx: Context, frontend: set[str]) -> list[str]:
    """A round of requests, sent again for up to SETTLE_S seconds until ``frontend``, and only they, answer
    every one; the last round's answers."""
    last: list[str] = []

    def attempt() -> Failure | None:
        nonlocal last
        last = requests_from(ctx, CLIENT, URL, REQUESTS, interval=0.05, give_up=2)
        return None if kept(last, frontend) else Failure("", "")

    settled(attempt, within=SETTLE_S)
    return last


def answers(ctx: Context) -> list[str]:
    """The answers (a pod's name, "" for none) to the round of requests of this state, once per look."""
    if "answers" not in ctx.notes:
        svc = service(ctx)
        pods = tuple(sorted((p.metadata.name, is_ready(p)) for p in live_pods(ctx)))
        key = (ctx.namespace, svc.metadata.uid, svc.metadata.resource_version, pods)
        ctx.notes["answers"] = remembered(OUTCOMES, key, REUSE_S, lambda: play(ctx))
    return ctx.notes["answers"]


def sent(ctx: Context) -> tuple[list[str] | None, Failure | None]:
    try:
        return answers(ctx), None
    except LabError as error:
        return None, Failure(
            f"the requests from the pod {CLIENT} could not be sent: {' '.join(str(error).split())[:200]}",
            "check again; the checker makes its client pod again when it is gone",
        )


def first(ctx: Context, reasons: list[Callable[[Context], Failure | None]]) -> Failure | None:
    return next((found for reason in reasons if (found := reason(ctx)) is not None), None)


def answered(ctx: Context) -> Failure | None:
    got, broken = sent(ctx)
    if broken is not None:
        return broken
    missed = got.count("")
    if got and not missed:
        return None
    saw = f"{missed} of {len(got)} requests to {URL} unanswered"
    if missed == len(got):  # the round stops after two unanswered requests in a row
        saw = f"no answer to {URL}"
    why = first(
        ctx,
        [has_selector, by_template_hash, selector_matches, listens_on_80, has_cluster_ip, reaches_container, endpoints],
    )
    why = why or Failure(
        "the Service and its EndpointSlices look right",
        "kube-proxy writes the node's rules a moment after the endpoints: check again in a few seconds",
    )
    return Failure(f"{saw} (sent again for {SETTLE_S} s); {why.saw}", why.hint)


def only_frontend(ctx: Context) -> Failure | None:
    got, _ = sent(ctx)
    frontend = ready_frontend(ctx)
    strangers = sorted({a for a in got if a not in frontend})
    if not strangers:
        return None
    saw = f"of {len(got)} requests, {sum(a in strangers for a in got)} were answered by {', '.join(strangers)}"
    why = selects_others(ctx) or Failure(
        "the selector picks the frontend pods only",
        "kube-proxy still sent to pods the Service selected before: check again in a few seconds",
    )
    return Failure(f"{saw}; {why.saw}", why.hint)


def every_pod(ctx: Context) -> Failure | None:
    got, _ = sent(ctx)
    silent = sorted(ready_frontend(ctx) - set(got))
    if not silent:
        return None
    heard = sorted(set(got))
    saw = f"{len(got)} requests answered only by {', '.join(heard)}; never by {', '.join(silent)}"
    why = first(ctx, [not_sticky, selects_all, endpoints]) or Failure(
        "every frontend pod is a ready endpoint",
        "kube-proxy writes the node's rules a moment after the endpoints: check again in a few seconds",
    )
    return Failure(f"{saw}; {why.saw}", why.hint)


def roll_out_again(ctx: Context) -> Failure | None:
    """Restart the frontend's rollout, wait for it, and send a round of requests to the new pods."""
    before = {p.metadata.name for p in frontend_pods(ctx)}
    kubectl(f"rollout restart deployment/{DEPLOYMENT} -n {ctx.namespace}", ctx.cluster, show=False)
    try:
        wait_for_rollout(ctx.cluster, ctx.namespace, DEPLOYMENT, timeout=ROLLOUT_S)
        old_pods_gone(ctx, before)
    except LabError as error:
        return Failure(
            f"the checker restarted the rollout of {DEPLOYMENT}, which did not finish: {' '.join(str(error).split())}",
            f"kubectl rollout status deployment/{DEPLOYMENT} -n {ctx.namespace}; then check again",
        )
    new = ready_frontend(ctx)
    got = send_round(ctx, new)
    if kept(got, new):
        return None
    missed, old = got.count(""), sorted({a for a in got if a in before})
    saw = (
        f"after the checker's rollout of {DEPLOYMENT} (new pods {', '.join(sorted(new))}), "
        f"{missed} of {len(got)} requests went unanswered"
        + (f" and {', '.join(old)} of the old generation still answered" if old else "")
    )
    why = first(ctx, [by_template_hash, selects_others, selects_all, endpoints]) or Failure(
        "the Service selects the new pods", "kube-proxy writes the node's rules a moment after the endpoints"
    )
    return Failure(f"{saw}; {why.saw}", why.hint)


def old_pods_gone(ctx: Context, before: set[str]) -> None:
    """Wait until no pod of the generation before the rollout is left (they end within a second)."""
    poll_until(
        lambda: {p.metadata.name for p in frontend_pods(ctx)} & before,
        lambda left: not left,
        what=f"the old {DEPLOYMENT} pods to be gone",
        timeout=ROLLOUT_S,
        every=0.5,
    )


def survives_rollout(ctx: Context) -> Failure | None:
    svc = service(ctx)
    key = (ctx.namespace, svc.metadata.uid, svc.metadata.resource_version)
    return remembered(ROLLED, key, ROLLED_REUSE_S, lambda: roll_out_again(ctx))


# --- why, from the fields --------------------------------------------------------------------------------


def owner_names(ctx: Context, pods: list[Any]) -> list[str]:
    """The Deployments whose selectors match these pods."""
    names = {p.metadata.name for p in pods}
    deployments = [d.metadata.name for d in ctx.cluster.apps.list_namespaced_deployment(ctx.namespace).items]
    return sorted(d for d in deployments if names & {p.metadata.name for p in criteria.deployment_pods(ctx, d)})


def selected(ctx: Context) -> list[Any]:
    selector = service(ctx).spec.selector or {}
    return [p for p in live_pods(ctx) if selects(selector, p.metadata.labels)]


def has_selector(ctx: Context) -> Failure | None:
    if not service(ctx).spec.selector:
        return Failure(
            "the Service has no selector",
            "without a selector Kubernetes makes no endpoints for it: add a selector matching the frontend pods",
        )
    return None


def by_template_hash(ctx: Context) -> Failure | None:
    selector = service(ctx).spec.selector or {}
    if TEMPLATE_HASH not in selector:
        return None
    return Failure(
        f"the selector names {TEMPLATE_HASH}={selector[TEMPLATE_HASH]} (and {show(selector) or 'nothing else'})",
        f"{TEMPLATE_HASH} is a label the Deployment gives each generation of pods: every rollout changes it. "
        "Select by the labels of the pod template (app and tier), which every generation keeps",
    )


def selector_matches(ctx: Context) -> Failure | None:
    selector = service(ctx).spec.selector or {}
    if selected(ctx):
        return None
    return Failure(
        f"the selector {show(selector)} matches no pod",
        f"the Service selects {show(selector)} but the pods carry "
        f"{show(deployment(ctx).spec.template.metadata.labels)}: use those labels",
    )


def selects_others(ctx: Context) -> Failure | None:
    selector = service(ctx).spec.selector or {}
    wanted = {p.metadata.name for p in frontend_pods(ctx)}
    extra = [p for p in selected(ctx) if p.metadata.name not in wanted]
    if not extra:
        return None
    others = ", ".join(owner_names(ctx, extra)) or "other pods"
    return Failure(
        f"the selector {show(selector)} matches {len(extra)} pod(s) not frontend's",
        f"the selector {show(selector)} also matches pods of {others}: add a label only frontend's pods "
        f"carry ({show(deployment(ctx).spec.template.metadata.labels)})",
    )


def selects_all(ctx: Context) -> Failure | None:
    selector = service(ctx).spec.selector or {}
    wanted = {p.metadata.name for p in frontend_pods(ctx)}
    names = wanted & {p.metadata.name for p in selected(ctx)}
    if names == wanted:
        return None
    return Failure(
        f"the selector {show(selector)} matches {len(names)} of the {len(wanted)} frontend pods",
        f"select the labels every frontend pod carries ({show(deployment(ctx).spec.template.metadata.labels)}), "
        "not one pod's",
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


def not_sticky(ctx: Context) -> Failure | None:
    if service(ctx).spec.session_affinity == "ClientIP":
        return Failure(
            "the Service has sessionAffinity: ClientIP, so kube-proxy sends every request of one client to the "
            "pod it picked for that client first",
            "remove sessionAffinity (its default, None, lets kube-proxy pick a pod for each connection), so that "
            "every frontend pod takes its share",
        )
    return None


def endpoints(ctx: Context) -> Failure | None:
    listed = ready_endpoints(endpoint_slices(ctx.cluster, ctx.namespace, SERVICE))
    pods = ready_frontend(ctx)
    look = f"kubectl get endpointslices -l kubernetes.io/service-name={SERVICE} -n {ctx.namespace}"
    if not listed:
        return Failure(
            "the Service has no ready endpoints",
            f"the EndpointSlice controller has not listed the pods yet; look: {look}",
        )
    if listed != pods:
        return Failure(
            f"ready endpoints: {', '.join(sorted(listed))}; ready frontend pods: {', '.join(sorted(pods))}",
            f"the endpoints catch up with the pods within seconds: check again, or look: {look}",
        )
    return None


EXISTS = Criterion("A Service named frontend exists", exists)
SET_UP = Criterion("The Deployments frontend and admin (from setup.yaml) are rolled out on the real node", rolled_out)
CLIENT_RUNS = Criterion(f"The checker's client pod {CLIENT} runs", client_ready, needs=(SET_UP,))
ANSWERED = Criterion(
    f"From that pod, every GET of {URL} (port 80, by the Service's name) is answered",
    answered,
    needs=(EXISTS, SET_UP, CLIENT_RUNS),
)
ONLY_FRONTEND = Criterion("Only frontend pods answer, never the admin pod", only_frontend, needs=(ANSWERED,))
EVERY_POD = Criterion("Every frontend pod answers in turn", every_pod, needs=(ONLY_FRONTEND,))
AFTER_ROLLOUT = Criterion(
    f"After a new rollout of {DEPLOYMENT} (the checker restarts it), the new pods answer, and only they",
    survives_rollout,
    needs=(EVERY_POD,),
)

CHECKER = Checker(
    "Put a Service in front of the frontend pods",
    [EXISTS, SET_UP, CLIENT_RUNS, ANSWERED, ONLY_FRONTEND, EVERY_POD, AFTER_ROLLOUT],
)
