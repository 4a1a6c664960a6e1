"""Checker: a Service ``shop`` that answers on port 80, by name and by cluster IP, one pod per client.

It judges by real requests: from the ``client`` pod of the setup, on the real node, it sends a burst
of GETs to ``http://shop/hostname`` (the name, through the cluster's DNS) and to the Service's
cluster IP, port 80, and counts which pods answered. Only when requests go unanswered does it read
the Service, the pods and the node's rules (``iptables-save``) to say why: no endpoints (and why
there are none), a rule that sends the traffic to a port nobody listens on, a Service on another
port. Affinity is judged the same way: every request from the one client answered by one pod.
"""

from __future__ import annotations

from typing import Any

from threeplanes.checking import Checker, Context, Criterion, Failure, criteria
from threeplanes.kit.graph import selects
from threeplanes.kit.wait import is_ready, rollout_complete, rollout_state
from threeplanes.system import proxy

NAME = "shop"
CLIENT = "client"
PORT = 80
LISTENS = 8080  # agnhost netexec --http-port=8080, the container port named http
BURST = 15  # requests per address (name, cluster IP): 30 per look
GIVE_UP = 2  # unanswered requests after which a burst stops: a dead address costs 8 s, not a minute
WAIT = 4  # seconds a request may take: answers come in milliseconds, but this machine may be busy
SETUP = ".venv/bin/threeplanes exercise setup s7-expose -n {namespace}"
TEMPLATE_HASH = "pod-template-hash"


def service(ctx: Context) -> Any:
    if "service" not in ctx.notes:
        ctx.notes["service"] = ctx.get(ctx.cluster.core.read_namespaced_service, NAME, ctx.namespace)
    return ctx.notes["service"]


def shop_pods(ctx: Context) -> list[Any]:
    return criteria.deployment_pods(ctx, NAME)


def show(labels: dict[str, str] | None) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted((labels or {}).items()) if k != TEMPLATE_HASH)


def set_up(ctx: Context) -> Failure | None:
    found = criteria.deployment(ctx, NAME)
    if found is None:
        return Failure(
            "no Deployment named shop in the namespace",
            f"run the exercise's setup first: {SETUP.format(namespace=ctx.namespace)}",
        )
    if not rollout_complete(found):
        return Failure(rollout_state(found), f"wait for it: kubectl rollout status deployment shop -n {ctx.namespace}")
    pod = ctx.get(ctx.cluster.core.read_namespaced_pod, CLIENT, ctx.namespace)
    if pod is None or not is_ready(pod):
        state = "missing" if pod is None else (pod.status.phase or "Pending")
        return Failure(
            f"the pod client is {state}",
            f"the checker sends its requests from it: run the setup again, {SETUP.format(namespace=ctx.namespace)}",
        )
    return None


def exists(ctx: Context) -> Failure | None:
    if service(ctx) is None:
        others = [s.metadata.name for s in ctx.cluster.core.list_namespaced_service(ctx.namespace).items]
        saw = f"Services here: {', '.join(others)}" if others else "no Service in the namespace"
        return Failure(
            saw,
            f"create one named shop, e.g. kubectl expose deployment shop --port {PORT} --target-port <the "
            f"container's port> --session-affinity ClientIP -n {ctx.namespace}",
        )
    return None


# --- The requests -----------------------------------------------------------------------------


def answers(ctx: Context) -> dict[str, list[str]]:
    """The answers to a burst sent to the name and one sent to the cluster IP, port 80, once per look."""
    if "answers" not in ctx.notes:
        targets = {f"http://{NAME}/hostname": f"http://{NAME}/hostname"}
        cluster_ip = service(ctx).spec.cluster_ip
        if cluster_ip and cluster_ip != "None":
            targets[f"{cluster_ip}:{PORT}"] = f"http://{cluster_ip}:{PORT}/hostname"
        ctx.notes["answers"] = {
            what: proxy.burst(ctx.cluster, ctx.namespace, CLIENT, url, BURST, give_up=GIVE_UP, wait=WAIT)
            for what, url in targets.items()
        }
    return ctx.notes["answers"]


def answered(ctx: Context) -> Failure | None:
    pods = {p.metadata.name for p in shop_pods(ctx)}
    found = answers(ctx)
    bad = {what: [a for a in got if a not in pods] for what, got in found.items()}
    if all(not b for b in bad.values()) and len(found) == 2:
        return None
    missed = "; ".join(f"{what}: {len(b)} of {len(found[what])} unanswered" for what, b in bad.items() if b)
    saw, hint = explain(ctx)
    return Failure(f"{missed or 'no cluster IP to send to'}; {saw}", hint)


def explain(ctx: Context) -> tuple[str, str]:
    """Why the requests went unanswered, from the Service, the pods and the node's rules."""
    svc = service(ctx)
    ns = ctx.namespace
    if not svc.spec.cluster_ip or svc.spec.cluster_ip == "None":
        return (
            "the Service is headless (clusterIP: None): kube-proxy writes no rule for it and its name resolves to "
            "the pods, which listen on 8080, not 80",
            f"give it a cluster IP: kubectl delete service shop -n {ns}, then create it without clusterIP: None",
        )
    ports = svc.spec.ports or []
    port = next((p for p in ports if p.port == PORT), None)
    if port is None:
        return (
            f"the Service listens on port(s) {[p.port for p in ports]}",
            f"clients call port {PORT}: set port: {PORT} and let targetPort reach the container's {LISTENS}",
        )
    path = proxy.service_path(proxy.nat_rules(), ns, NAME, port.name or "")
    if path is None:
        return no_endpoints(ctx, port)
    reached = sorted({d.rsplit(":", 1)[1] for d in path.destinations()})
    if reached != [str(LISTENS)]:
        target = port.target_port
        return (
            f"the node's rules ({path.service_chain}) send the cluster IP to {', '.join(path.destinations())}",
            f"targetPort {target} but the container listens on {LISTENS}: set targetPort to {LISTENS} "
            "(or to http, the name of the container's port)",
        )
    return (
        f"the node's rules send the cluster IP to {', '.join(path.destinations())}",
        "the rules look right; kube-proxy or the pods may still be catching up: check again in a few seconds",
    )


def no_endpoints(ctx: Context, port: Any) -> tuple[str, str]:
    """No KUBE-SVC chain for the port: say whether the selector or the targetPort left the Service empty."""
    ns = ctx.namespace
    rejects = proxy.no_endpoint_rejects(ns, NAME)
    rule = "a REJECT rule (no endpoints) in the filter table" if rejects else "no rule yet"
    saw = f"no endpoints: kube-proxy wrote no KUBE-SVC chain for {ns}/{NAME}, only {rule}"
    selector = service(ctx).spec.selector or {}
    pods = shop_pods(ctx)
    labels = show(pods[0].metadata.labels) if pods else "app=shop, tier=front"
    if not selector:
        return f"{saw}; the Service has no selector", f"add a selector matching the shop pods ({labels})"
    matched = [p for p in pods if selects(selector, p.metadata.labels)]
    if not matched:
        return (
            f"{saw}; the selector {show(selector)} matches no pod",
            f"the Service selects {show(selector)} but the shop pods carry {labels}: select those labels",
        )
    target = port.target_port
    if isinstance(target, str) and not target.isdigit():
        names = {p.name for c in matched[0].spec.containers for p in c.ports or [] if p.name}
        if target not in names:
            declared = ", ".join(sorted(names)) or "none"
            return (
                f"{saw}; targetPort {target!r}: there is no container port named {target} in the shop pods "
                f"(named ports: {declared}), so the EndpointSlice controller lists no pod",
                f"name the container's port as the pods declare it (http) or give its number, {LISTENS}",
            )
    if not any(is_ready(p) for p in matched):
        return f"{saw}; none of the selected pods is ready", "wait for the shop pods to be ready, then check again"
    return saw, "the endpoints catch up with the pods within seconds: check again"


def sticky(ctx: Context) -> Failure | None:
    by = {what: sorted(set(got)) for what, got in answers(ctx).items()}
    if all(len(pods) == 1 for pods in by.values()):
        return None
    spread = "; ".join(f"{what}: {len(pods)} pods ({', '.join(pods)})" for what, pods in by.items())
    svc = service(ctx)
    port = next(p for p in svc.spec.ports if p.port == PORT)
    path = proxy.service_path(proxy.nat_rules(), ctx.namespace, NAME, port.name or "")
    rules = "no `recent` rule in its KUBE-SVC chain" if path is not None and not path.sticky else "its rules"
    return Failure(
        f"one client's {BURST} requests were answered by several pods ({spread}); "
        f"sessionAffinity is {svc.spec.session_affinity}, {rules}",
        "set sessionAffinity: ClientIP on the Service: kube-proxy then remembers each client address's pod",
    )


SET_UP = Criterion("The Deployment shop and the pod client (from the setup) run", set_up)
EXISTS = Criterion("A Service named shop exists", exists)
ANSWERED = Criterion(
    "From a pod, http://shop/ and the cluster IP on port 80 are answered by the shop pods",
    answered,
    needs=(SET_UP, EXISTS),
)
STICKY = Criterion("Every request from one client is answered by the same pod", sticky, needs=(ANSWERED,))

CHECKER = Checker("Expose shop on port 80, one pod per client", [SET_UP, EXISTS, ANSWERED, STICKY])
