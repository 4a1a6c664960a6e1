"""Checker of a1-split-the-shop: the cart in a Deployment and a Service of its own, within the shop's CPU
budget, shipped without restarting the rest of the shop.

From the setup's pod ``shop-client``, on the real node, it asks ``http://shop/catalogue``,
``http://shop/checkout`` and ``http://cart/cart``, and wants each answered ``<function> <release> from
<pod>``, the cart by a pod of the Deployment ``cart``. It adds up the CPU the shop's pods request (every
pod of the namespace but the client): at most the monolith's 200m, and every pod asking for some. Then
it ships a release of the cart as its team would, ``CART_RELEASE`` set to a new value in the Deployment
``cart`` (what ``kubectl set env`` does), and keeps asking until the cart answers with it: meanwhile every
request to the catalogue and the checkout must be answered, and the pods behind the Service ``shop`` must
stay the same pods, none replaced or restarted. Selectors, ports, endpoints, nodes and requests are read
only to say why a step failed. The release is shipped once per state of the shop: the framework's second
look reads the same outcome.
"""

from __future__ import annotations

import importlib.util
import json
import secrets
import time
from pathlib import Path
from typing import Any

from threeplanes.barriers import services
from threeplanes.checking import Checker, Context, Criterion, Failure, criteria, missions
from threeplanes.checking.framework import remembered
from threeplanes.kit.control_plane import REAL_NODE_NAME
from threeplanes.kit.kubectl import kubectl
from threeplanes.kit.labels import selector_string
from threeplanes.kit.pods import live
from threeplanes.kit.wait import pending_pods_reason, rollout_complete, rollout_state

_found = importlib.util.spec_from_file_location("a1_split_the_shop_setup", Path(__file__).with_name("setup.py"))
setup = importlib.util.module_from_spec(_found)
_found.loader.exec_module(setup)

NAME, SPLIT, CLIENT, BUDGET_M = setup.NAME, "cart", setup.CLIENT, setup.BUDGET_M
SETUP = ".venv/bin/threeplanes exercise setup a1-split-the-shop -n {namespace}"
URLS = {"catalogue": "http://shop/catalogue", "checkout": "http://shop/checkout", "cart": "http://cart/cart"}
KEPT = ("catalogue", "checkout")
ROUNDS = 6  # rounds of the three requests per look
SHIP_S = 50  # for the new release of the cart to answer every request
REUSE = 120
OUTCOMES: dict[tuple, tuple[float, Failure | None]] = {}


def service(ctx: Context, name: str) -> Any | None:
    key = f"service/{name}"
    if key not in ctx.notes:
        ctx.notes[key] = ctx.get(ctx.cluster.core.read_namespaced_service, name, ctx.namespace)
    return ctx.notes[key]


def show(labels: dict[str, str] | None) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted((labels or {}).items()) if k != "pod-template-hash") or "none"


def shop_pods(ctx: Context) -> list[Any]:
    """Every live pod of the namespace but the checker's client."""
    pods = ctx.cluster.core.list_namespaced_pod(ctx.namespace).items
    return [p for p in live(pods) if p.metadata.name != CLIENT]


def owner(pod: Any) -> str:
    """The Deployment a pod comes from (its ReplicaSet's name without the hash), or the pod's own name."""
    ref = next((r for r in pod.metadata.owner_references or [] if r.controller), None)
    if ref is None:
        return f"pod {pod.metadata.name}"
    return ref.name.rsplit("-", 1)[0] if ref.kind == "ReplicaSet" else f"{ref.kind} {ref.name}"


def endpoint_pods(ctx: Context, name: str) -> dict[str, bool]:
    """The pods the EndpointSlices of Service ``name`` list, and whether each is ready."""
    slices = ctx.cluster.discovery.list_namespaced_endpoint_slice(
        ctx.namespace, label_selector=f"kubernetes.io/service-name={name}"
    ).items
    found = {}
    for piece in slices:
        for endpoint in piece.endpoints or []:
            if endpoint.target_ref is not None and endpoint.target_ref.kind == "Pod":
                found[endpoint.target_ref.name] = bool(endpoint.conditions and endpoint.conditions.ready)
    return found


# --- the criteria ------------------------------------------------------------------------------


def set_up(ctx: Context) -> Failure | None:
    if criteria.deployment(ctx, NAME) is None or service(ctx, NAME) is None:
        return Failure(
            f"no Deployment or no Service {NAME} in the namespace",
            f"the exercise starts from the monolith: {SETUP.format(namespace=ctx.namespace)}",
        )
    return missions.client_runs(ctx, CLIENT)


def split_there(ctx: Context) -> Failure | None:
    made, named = criteria.deployment(ctx, SPLIT), service(ctx, SPLIT)
    ns = ctx.namespace
    if made is not None and named is not None:
        return None
    if named is not None:
        selected = sorted({owner(p) for p in shop_pods(ctx) if _selects(named.spec.selector, p)})
        return Failure(
            f"a Service {SPLIT} (selecting {show(named.spec.selector)}) but no Deployment {SPLIT}",
            f"a Service only gives pods a name: the cart still runs in the pods it selects "
            f"({', '.join(selected) or 'none'}), and ships with them. Give the cart pods of its own, made by a "
            f"Deployment named {SPLIT}",
        )
    if made is not None:
        return Failure(
            f"a Deployment {SPLIT} but no Service {SPLIT}",
            f"give it the name its clients call: kubectl expose deployment {SPLIT} --port 80 "
            f"--target-port {services.SHOP_PORT} -n {ns}",
        )
    return Failure(
        f"no Deployment and no Service named {SPLIT}",
        f"split the cart out: a Deployment named {SPLIT} running the shop's program with only CART_RELEASE set "
        f"(kubectl create deployment {SPLIT} ..., as the page shows), then kubectl expose deployment {SPLIT} "
        f"--port 80 --target-port {services.SHOP_PORT} -n {ns}",
    )


def _selects(selector: dict[str, str] | None, pod: Any) -> bool:
    labels = pod.metadata.labels or {}
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def rolled_out(ctx: Context) -> Failure | None:
    for name in (NAME, SPLIT):
        found = criteria.deployment(ctx, name)
        if not rollout_complete(found):
            pending = pending_pods_reason(ctx.cluster, ctx.namespace, found)
            hint = f"wait for it: kubectl rollout status deployment {name} -n {ctx.namespace}"
            if "the scheduler says" in pending:
                hint += "; the scheduler's words say what its pods lack (room on the node, a toleration)"
            return Failure(f"Deployment {name}: {rollout_state(found)}{pending}", hint)
    return None


def asked(ctx: Context) -> dict[str, list[tuple[str, str]]]:
    """``(release, pod)`` of each answer to each URL, ``("", "")`` for none, asked once per look."""
    if "asked" not in ctx.notes:
        found = services.ask_from(ctx.cluster, ctx.namespace, CLIENT, URLS, ROUNDS)
        ctx.notes["asked"] = {key: [services.parse_answer(key, text) for k, text in found if k == key] for key in URLS}
    return ctx.notes["asked"]


def answers(ctx: Context) -> Failure | None:
    found = asked(ctx)
    cart_pods = {p.metadata.name for p in criteria.deployment_pods(ctx, SPLIT)}
    cart = found["cart"]
    strangers = sorted({pod for release, pod in cart if release and pod not in cart_pods})
    unanswered = sum(1 for release, _ in cart if not release)
    if strangers:
        return cart_answered_by_others(ctx, strangers, len(cart))
    if unanswered or not cart:
        return cart_unanswered(ctx, unanswered, len(cart))
    for function in KEPT:
        missed = sum(1 for release, _ in found[function] if not release)
        if missed or not found[function]:
            return kept_unanswered(ctx, function, missed, len(found[function]))
    return None


def cart_answered_by_others(ctx: Context, strangers: list[str], count: int) -> Failure:
    selector = service(ctx, SPLIT).spec.selector
    pods = {p.metadata.name: p for p in shop_pods(ctx)}
    theirs = pods[strangers[0]].metadata.labels if strangers[0] in pods else {}
    return Failure(
        f"of {count} requests to {URLS['cart']}, some were answered by {', '.join(strangers)}, pods of "
        f"{', '.join(sorted({owner(pods[s]) for s in strangers if s in pods}))}, not of Deployment {SPLIT}",
        f"the Service {SPLIT} selects {show(selector)}, and it also selects the monolith's pods (their labels: "
        f"{show(theirs)}): select a label that only the pods of Deployment {SPLIT} carry",
    )


def cart_unanswered(ctx: Context, unanswered: int, count: int) -> Failure:
    saw = f"{unanswered} of {count} requests to {URLS['cart']} got no answer"
    named = service(ctx, SPLIT)
    ports = [p.port for p in named.spec.ports or []]
    if 80 not in ports:
        return Failure(
            f"{saw}; the Service {SPLIT} listens on port(s) {ports}",
            f"clients call {URLS['cart']}, port 80: give the Service port 80 and targetPort {services.SHOP_PORT} "
            f"(kubectl expose deployment {SPLIT} --port 80 --target-port {services.SHOP_PORT})",
        )
    pods = criteria.deployment_pods(ctx, SPLIT)
    elsewhere = sorted({p.spec.node_name for p in pods if p.spec.node_name != REAL_NODE_NAME})
    if elsewhere:
        return Failure(
            f"{saw}; the pods of Deployment {SPLIT} run on {', '.join(elsewhere)}: "
            f"{'a simulated node' if len(elsewhere) == 1 else 'simulated nodes'}, where no container runs",
            f"place them on the book's real node, {REAL_NODE_NAME}, as the monolith's are: copy its nodeSelector "
            f"and tolerations (kubectl get deployment {NAME} -o yaml -n {ctx.namespace})",
        )
    listed = endpoint_pods(ctx, SPLIT)
    if not any(listed.values()):
        return Failure(
            f"{saw}; the Service {SPLIT} has no ready endpoint: its selector {show(named.spec.selector)} "
            f"matches {', '.join(sorted(listed)) or 'no pod'}",
            f"select the labels the pods of Deployment {SPLIT} carry "
            f"({show(pods[0].metadata.labels) if pods else 'none yet'})",
        )
    target = next(p.target_port for p in named.spec.ports if p.port == 80)
    if str(target) not in (str(services.SHOP_PORT), "http"):
        return Failure(
            f"{saw}; the Service sends port 80 to port {target} of its pods",
            f"the shop's program listens on {services.SHOP_PORT}: set targetPort {services.SHOP_PORT}",
        )
    return Failure(
        f"{saw}; the Service reaches the pods of Deployment {SPLIT}, which answer nothing on /cart",
        "run the shop's program in them, with CART_RELEASE set: it serves /cart only then",
    )


def kept_unanswered(ctx: Context, function: str, missed: int, count: int) -> Failure:
    saw = f"{missed} of {count} requests to {URLS[function]} got no answer"
    cart_pods = {p.metadata.name for p in criteria.deployment_pods(ctx, SPLIT)}
    caught = sorted(set(endpoint_pods(ctx, NAME)) & cart_pods)
    if caught:
        return Failure(
            f"{saw}; the Service {NAME} sends requests to {', '.join(caught)}, pods of Deployment {SPLIT}",
            f"the Service {NAME} selects {show(service(ctx, NAME).spec.selector)}, and the cart's pods carry those "
            f"labels too: give them labels of their own, so that {NAME} keeps only the monolith's pods",
        )
    return Failure(
        saw,
        f"the monolith must keep serving /{function}: keep {services.release_variable(function)} set in "
        f"Deployment {NAME}",
    )


def within_budget(ctx: Context) -> Failure | None:
    pods = shop_pods(ctx)
    bare = sorted(p.metadata.name for p in pods if services.requested(p)["cpu"] == 0)
    if bare:
        return Failure(
            f"pods that request no CPU: {', '.join(bare)}",
            "a pod without a CPU request is outside the budget, not within it: the scheduler sets nothing aside "
            "for it. Give each container a request (kubectl set resources deployment <name> --requests=cpu=...)",
        )
    total = services.total_cpu_requested(pods)
    if total <= BUDGET_M:
        return None
    by: dict[str, int] = {}
    for pod in pods:
        by[owner(pod)] = by.get(owner(pod), 0) + services.requested(pod)["cpu"]
    parts = ", ".join(f"{name} {cpu}m" for name, cpu in sorted(by.items()))
    return Failure(
        f"the shop's pods request {total}m of CPU in all ({parts}), over the budget of {BUDGET_M}m",
        f"the split shares what the monolith requested alone, {BUDGET_M}m: lower the monolith's requests "
        f"(kubectl set resources deployment {NAME} --requests=cpu=...) or the cart's, so that the pods together "
        f"ask for {BUDGET_M}m or less",
    )


# --- shipping a release of the cart ----------------------------------------------------------------------


def behind_shop(ctx: Context) -> dict[str, tuple[str, int]]:
    """The pods the Service ``shop`` sends to: name -> (uid, restarts)."""
    listed = set(endpoint_pods(ctx, NAME))
    return {
        p.metadata.name: (p.metadata.uid, sum(s.restart_count for s in p.status.container_statuses or []))
        for p in shop_pods(ctx)
        if p.metadata.name in listed
    }


def ship_and_watch(ctx: Context) -> Failure | None:
    """Set a new CART_RELEASE in Deployment cart; ask until the cart answers with it; judge the rest."""
    release = secrets.token_hex(3)
    before = behind_shop(ctx)
    variable = services.release_variable(SPLIT)
    kubectl(f"set env deployment/{SPLIT} {variable}={release} -n {ctx.namespace}", ctx.cluster, show=False)
    deadline = time.monotonic() + SHIP_S
    seen: list[tuple[str, str]] = []
    while True:
        seen += services.ask_from(ctx.cluster, ctx.namespace, CLIENT, URLS, 3)
        cart = [services.parse_answer(SPLIT, text)[0] for key, text in seen if key == SPLIT][-4:]
        done = rollout_complete(ctx.cluster.apps.read_namespaced_deployment(SPLIT, ctx.namespace))
        if done and len(cart) == 4 and all(r == release for r in cart):
            break
        if time.monotonic() > deadline:
            return never_shipped(ctx, release, cart)
    after = behind_shop(ctx)
    changed = sorted(n for n, (uid, restarts) in before.items() if after.get(n, (None, 0))[0] != uid)
    changed += sorted(n for n, (uid, restarts) in before.items() if n in after and after[n][1] > restarts)
    if changed:
        return others_restarted(ctx, release, changed)
    for function in KEPT:
        got = [services.parse_answer(function, text)[0] for key, text in seen if key == function]
        missed = sum(1 for r in got if not r)
        if missed:
            return Failure(
                f"while the cart's release {release} rolled out, {missed} of {len(got)} requests to "
                f"{URLS[function]} got no answer",
                f"the {function} must not notice a release of the cart: it needs pods the cart's rollout does "
                "not touch, behind a Service that does not select the cart's pods",
            )
    return None


def never_shipped(ctx: Context, release: str, cart: list[str]) -> Failure:
    found = ctx.cluster.apps.read_namespaced_deployment(SPLIT, ctx.namespace)
    saw = (
        f"{SHIP_S} s after CART_RELEASE={release} was set in Deployment {SPLIT}, the cart still answered "
        f"{', '.join(sorted({r or '(nothing)' for r in cart})) or 'nothing'}"
    )
    if not rollout_complete(found):
        state = rollout_state(found) + pending_pods_reason(ctx.cluster, ctx.namespace, found)
        return Failure(f"{saw}; the rollout: {state}", "a release must roll out: see why the new pods do not start")
    return Failure(
        saw,
        "the cart's pods must take their release from CART_RELEASE, as the shop's program does: the checker ships "
        "a release the way its team would, kubectl set env deployment/cart CART_RELEASE=...",
    )


def others_restarted(ctx: Context, release: str, changed: list[str]) -> Failure:
    selector = service(ctx, NAME).spec.selector
    cart_made = [n for n in changed if n.startswith(f"{SPLIT}-")]
    saw = (
        f"shipping the cart's release {release} replaced or restarted pods that serve {URLS['catalogue']} and "
        f"{URLS['checkout']}: {', '.join(changed)}"
    )
    if cart_made:
        return Failure(
            saw,
            f"those are pods of Deployment {SPLIT}, and the Service {NAME} sends the catalogue's and the checkout's "
            f"requests to them too (its selector: {show(selector)}): every release of the cart restarts a part of "
            f"the shop. Give the cart's pods labels the Service {NAME} does not select, and let them serve the cart "
            "alone",
        )
    return Failure(saw, f"a release of the cart must leave Deployment {NAME} alone: ship it in Deployment {SPLIT}")


def shipped(ctx: Context) -> Failure | None:
    made = criteria.deployment(ctx, SPLIT)
    template = made.spec.template.metadata
    key = (
        ctx.namespace,
        criteria.deployment(ctx, NAME).metadata.uid,
        criteria.deployment(ctx, NAME).metadata.generation,
        made.metadata.uid,
        json.dumps(template.labels or {}, sort_keys=True),
        selector_string(made.spec.selector),
        service(ctx, NAME).metadata.resource_version,
        service(ctx, SPLIT).metadata.resource_version,
    )
    return remembered(OUTCOMES, key, REUSE, lambda: ship_and_watch(ctx))


SET_UP = Criterion(f"The monolith's Deployment and Service {NAME}, and the client pod, are there", set_up)
SPLIT_THERE = Criterion(f"A Deployment {SPLIT} and a Service {SPLIT} exist", split_there, needs=(SET_UP,))
ROLLED = Criterion(f"The Deployments {NAME} and {SPLIT} have rolled out", rolled_out, needs=(SPLIT_THERE,))
ANSWERS = Criterion(
    f"{URLS['catalogue']} and {URLS['checkout']} answer, and {URLS['cart']} is answered by the cart's own pods",
    answers,
    needs=(ROLLED,),
)
BUDGET = Criterion(f"The shop's pods request {BUDGET_M}m of CPU or less in all", within_budget, needs=(ROLLED,))
SHIPPED = Criterion(
    "A release of the cart rolls out while the catalogue and the checkout keep their pods and answer",
    shipped,
    needs=(ANSWERS, BUDGET),
)

CHECKER = Checker("Split the cart out of the shop", [SET_UP, SPLIT_THERE, ROLLED, ANSWERS, BUDGET, SHIPPED])
