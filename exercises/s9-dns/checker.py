"""Checker: two names of the cluster's DNS answer what the page asks, judged by asking them.

From the pod ``dns-client`` on the real node, through the real node's CoreDNS, the checker looks up
``db.<namespace>.svc.cluster.local`` with ``nslookup`` and expects the addresses of the ready pods
labelled ``role=db``, one each, and no other (the unready ``db-2`` not among them); then
``primary.db.<namespace>.svc.cluster.local``, and expects the address of ``db-0`` alone. A wrong
answer is explained by reading the Services and pods; when they look right, CoreDNS may not have
caught up with them yet (it learns of a change through its watch of the API, and caches an answer
for 5 s), and the name is asked again for a few seconds before the checker judges. The
lookups are done once per state of the namespace's pods and Services; the framework's second look
reads the same outcome.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from threeplanes.checking import Checker, Context, Criterion, Failure
from threeplanes.errors import LabError
from threeplanes.kit.control_plane import CLUSTER_DOMAIN
from threeplanes.kit.graph import selects
from threeplanes.kit.pods import live
from threeplanes.kit.wait import is_ready, wait_for
from threeplanes.system import dns

_spec = importlib.util.spec_from_file_location("s9_dns_setup", Path(__file__).with_name("setup.py"))
setup = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(setup)

SERVICE, PRIMARY, GIVEN = "db", "primary", "db-0"
SETTLE = 8  # seconds a name is asked again until CoreDNS answers what is expected (its records live 5 s)
REUSE = 60  # seconds an outcome serves the checker's second look
SETUP = ".venv/bin/threeplanes exercise setup s9-dns -n {namespace}"
SETTLING = "check again in a few seconds"  # the end of a hint for a state CoreDNS may not have caught up with


def zone(ctx: Context) -> str:
    return f"{ctx.namespace}.svc.{CLUSTER_DOMAIN}"


def pods(ctx: Context) -> dict[str, Any]:
    return {p.metadata.name: p for p in live(ctx.cluster.core.list_namespaced_pod(ctx.namespace).items)}


def service(ctx: Context) -> Any | None:
    return ctx.get(ctx.cluster.core.read_namespaced_service, SERVICE, ctx.namespace)


def show(labels: dict | None) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted((labels or {}).items())) or "nothing"


# --- the setup's pods and the client -----------------------------------------------------------


def set_up(ctx: Context) -> Failure | None:
    found = pods(ctx)
    missing = [name for name in setup.DATABASES if name not in found]
    if missing:
        return Failure(
            f"no pod {', '.join(missing)} in the namespace",
            f"run the exercise's setup (again): {SETUP.format(namespace=ctx.namespace)}; if you recreate db-0, "
            "keep its name",
        )
    unlabelled = [name for name in setup.DATABASES if (found[name].metadata.labels or {}).get("role") != "db"]
    if unlabelled:
        return Failure(
            f"{', '.join(unlabelled)} does not carry the label role=db",
            "the database pods keep their label role=db: the names are asked of the pods labelled so",
        )
    return None


def client_ready(ctx: Context) -> Failure | None:
    """The checker's client pod runs (made again here if it was deleted)."""
    if setup.CLIENT not in pods(ctx):
        ctx.cluster.core.create_namespaced_pod(ctx.namespace, setup.client_pod())
    try:
        wait_for(
            ctx.cluster.core.list_namespaced_pod,
            lambda found: setup.running(found, {setup.CLIENT}),
            what=f"the checker's client pod {setup.CLIENT}",
            describe=lambda found: ", ".join(p.status.phase for p in found) or "no pod",
            timeout=60,
            namespace=ctx.namespace,
            field_selector=f"metadata.name={setup.CLIENT}",
        )
    except LabError as error:
        return Failure(str(error), "the client runs on the real node: is it Ready? kubectl get nodes")
    return None


# --- asking ---------------------------------------------------------------------------------------


def lookup(ctx: Context, name: str) -> tuple[list[str], str | None]:
    """The addresses ``nslookup name`` prints in the client pod, and the failure code it printed (NXDOMAIN...)."""
    out, _ = dns.run_in(ctx.cluster, ctx.namespace, setup.CLIENT, f"nslookup -type=A {name}", show=False)
    return sorted(dns.nslookup_addresses(out)), dns.nslookup_failure(out)


def ask(ctx: Context, name: str, expected: list[str], explain: Callable[..., Failure], found: dict) -> Failure | None:
    """Ask ``name`` until it answers ``expected``; None then. A wrong answer that the Services and pods
    explain fails at once; one they do not (CoreDNS not caught up yet) is asked again for ``SETTLE`` seconds."""
    deadline = time.monotonic() + SETTLE
    while True:
        answer = lookup(ctx, name)
        if answer[0] == expected:
            return None
        failure = explain(ctx, answer, found)
        if not failure.hint.endswith(SETTLING) or time.monotonic() > deadline:
            return failure
        time.sleep(1)


def said(answer: tuple[list[str], str | None]) -> str:
    addresses, failure = answer
    return ", ".join(addresses) if addresses else (failure or "no address")


def who(found: dict[str, Any], address: str) -> str:
    return next((f"{address} ({n})" for n, p in found.items() if p.status.pod_ip == address), address)


# --- db: one address per ready pod ---------------------------------------------------------------


def explain_db(ctx: Context, answer: tuple[list[str], str | None], found: dict[str, Any]) -> Failure:
    addresses = answer[0]
    name = f"{SERVICE}.{zone(ctx)}"
    saw = f"{name} answered {', '.join(who(found, a) for a in addresses) or answer[1] or 'no address'}"
    svc = service(ctx)
    if svc is None:
        return Failure(
            f"{saw}; there is no Service named {SERVICE}",
            f"create a Service named {SERVICE} that selects the pods labelled role=db, headless (clusterIP: None)",
        )
    if svc.spec.cluster_ip and svc.spec.cluster_ip != "None":
        return Failure(
            f"{saw}: one address, the cluster IP of Service {SERVICE}",
            "a Service with a cluster IP is one name for one virtual address; to get one A record per ready pod, "
            f"make it headless, clusterIP: None (it cannot be changed in place: delete Service {SERVICE} and create "
            "it again)",
        )
    selector = svc.spec.selector or {}
    chosen = [n for n, p in found.items() if selector and selects(selector, p.metadata.labels)]
    if not selector or not chosen:
        return Failure(
            f"{saw}; the selector of Service {SERVICE} ({show(selector)}) matches no pod",
            "select the database pods by the label they carry: the pods carry role=db",
        )
    extra = [n for n in chosen if (found[n].metadata.labels or {}).get("role") != "db"]
    if extra:
        return Failure(
            f"{saw}; the selector {show(selector)} also matches {', '.join(extra)}",
            "select only the database pods: the pods carry role=db",
        )
    unready = [n for n in chosen if not is_ready(found[n]) and found[n].status.pod_ip in addresses]
    if unready and svc.spec.publish_not_ready_addresses:
        return Failure(
            f"{saw}, though {', '.join(unready)} is not ready",
            "publishNotReadyAddresses: true publishes pods that fail their readiness probe; clients must only get "
            "ready ones: remove it",
        )
    left_out = [n for n, p in found.items() if (p.metadata.labels or {}).get("role") == "db" and n not in chosen]
    if left_out:
        return Failure(
            f"{saw}; the selector {show(selector)} leaves out {', '.join(left_out)}",
            "select every database pod by the label they all carry: the pods carry role=db",
        )
    return Failure(saw, f"CoreDNS answers from the Service's EndpointSlice; {SETTLING}")


def db_answers(ctx: Context, found: dict[str, Any]) -> Failure | None:
    expected = sorted(
        p.status.pod_ip
        for p in found.values()
        if (p.metadata.labels or {}).get("role") == "db" and is_ready(p) and p.status.pod_ip
    )
    return ask(ctx, f"{SERVICE}.{zone(ctx)}", expected, explain_db, found)


# --- primary.db: one pod --------------------------------------------------------------------------


def explain_primary(ctx: Context, answer: tuple[list[str], str | None], found: dict[str, Any]) -> Failure:
    name = f"{PRIMARY}.{SERVICE}.{zone(ctx)}"
    saw = f"{name} answered {', '.join(who(found, a) for a in answer[0]) or answer[1] or 'no address'}"
    given = found[GIVEN]
    recreate = (
        f"a pod's hostname and subdomain cannot be changed: delete {GIVEN} and create it again with them "
        f"(kubectl get pod {GIVEN} -o yaml, edit, kubectl replace --force -f)"
    )
    others = [n for n, p in found.items() if n != GIVEN and p.spec.hostname == PRIMARY and p.spec.subdomain == SERVICE]
    if given.spec.hostname != PRIMARY:
        return Failure(
            f"{saw}; {GIVEN} has hostname {given.spec.hostname or '(none)'}"
            + (f", while {', '.join(others)} has hostname {PRIMARY}" if others else ""),
            f"the first label of the name is the pod's spec.hostname: set hostname: {PRIMARY} on {GIVEN}; {recreate}",
        )
    if given.spec.subdomain != SERVICE:
        return Failure(
            f"{saw}; {GIVEN} has subdomain {given.spec.subdomain or '(none)'}",
            f"the pod's subdomain must name the headless Service: subdomain: {SERVICE}; {recreate}",
        )
    if others:
        return Failure(
            f"{saw}; {', '.join(others)} also has hostname {PRIMARY} and subdomain {SERVICE}",
            f"the name must lead to {GIVEN} alone: give the other pods other hostnames",
        )
    svc = service(ctx)
    if svc is None or (svc.spec.cluster_ip and svc.spec.cluster_ip != "None"):
        return Failure(
            f"{saw}; Service {SERVICE} is {'missing' if svc is None else 'not headless'}",
            f"a pod gets a name of its own under the headless Service (clusterIP: None) its subdomain names, {SERVICE}",
        )
    if not selects(svc.spec.selector or {}, given.metadata.labels) or not is_ready(given):
        return Failure(
            f"{saw}; {GIVEN} is {'not selected by ' + SERVICE if is_ready(given) else 'not ready'}",
            f"CoreDNS builds the name from Service {SERVICE}'s EndpointSlice: {GIVEN} must be selected by it and "
            f"ready; {SETTLING}",
        )
    return Failure(saw, f"CoreDNS answers from the Service's EndpointSlice; {SETTLING}")


def primary_answers(ctx: Context, found: dict[str, Any]) -> Failure | None:
    expected = [found[GIVEN].status.pod_ip] if found[GIVEN].status.pod_ip else ["(db-0 has no address yet)"]
    return ask(ctx, f"{PRIMARY}.{SERVICE}.{zone(ctx)}", expected, explain_primary, found)


# --- one lookup per state of the namespace ------------------------------------------------------

_outcomes: dict[tuple, tuple[float, dict[str, Failure | None]]] = {}


def state(ctx: Context, found: dict[str, Any]) -> tuple:
    services = ctx.cluster.core.list_namespaced_service(ctx.namespace).items
    return (
        ctx.namespace,
        tuple(sorted((n, p.metadata.resource_version) for n, p in found.items())),
        tuple(sorted((s.metadata.name, s.metadata.resource_version) for s in services)),
    )


def outcome(ctx: Context) -> dict[str, Failure | None]:
    found = pods(ctx)
    key = state(ctx, found)
    kept = _outcomes.get(key)
    if kept is None or time.monotonic() - kept[0] >= REUSE:
        kept = _outcomes[key] = (
            time.monotonic(),
            {"db": db_answers(ctx, found), "primary": primary_answers(ctx, found)},
        )
    return kept[1]


SET_UP = Criterion("The pods db-0, db-1 and db-2 from the setup are there, labelled role=db", set_up)
CLIENT = Criterion("The checker's client pod runs on the real node", client_ready, needs=(SET_UP,))
DB = Criterion(
    f"db.<namespace>.svc.{CLUSTER_DOMAIN} answers one address per ready role=db pod, and no other",
    lambda ctx: outcome(ctx)["db"],
    needs=(CLIENT,),
)
PRIMARY_NAME = Criterion(
    f"primary.db.<namespace>.svc.{CLUSTER_DOMAIN} answers the address of db-0 alone",
    lambda ctx: outcome(ctx)["primary"],
    needs=(CLIENT,),
)

CHECKER = Checker("Give a database names in the cluster DNS", [SET_UP, CLIENT, DB, PRIMARY_NAME])
