"""Checker of the fix-service-no-endpoints mission: every catalog pod answers through the Service, and
only those, before and after one of them is replaced.

The scenario, from the pod ``catalog-client`` on the real node: ``REQUESTS`` requests to
``http://catalog/hostname``, a fifth of a second apart, must be answered by each of the three
``catalog`` pods and by no other pod. Then the checker deletes one catalog pod, as a node
failure or a rollout would, waits for the Deployment to replace it, and sends the requests again:
the new pod must answer too, and the old one must be gone from the answers. Endpoints written by
hand pass the first round and fail the second. The objects (the Service's selector, the pods'
labels) are read only to say why a step failed. The scenario is played once per state of the
Service: the framework's second look reads the same outcome.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

from threeplanes.checking import Checker, Context, Criterion, Failure, criteria, missions
from threeplanes.checking.missions import client_runs, requests_from, settled
from threeplanes.errors import LabError
from threeplanes.kit.graph import selects
from threeplanes.kit.pods import live
from threeplanes.kit.wait import is_ready, wait_for_rollout

setup = missions.load_part(Path(__file__).parent, "setup")

NAME, ADMIN, CLIENT, REPLICAS = setup.NAME, setup.ADMIN, setup.CLIENT, setup.REPLICAS
SETUP = ".venv/bin/threeplanes exercise setup fix-service-no-endpoints -n {namespace}"
REQUESTS = 30
REUSE = 120
OUTCOMES: dict[tuple, tuple[float, dict[str, Failure | None]]] = {}
FIRST, AFTER = "first", "after"


def service(ctx: Context) -> Any:
    return ctx.get(ctx.cluster.core.read_namespaced_service, NAME, ctx.namespace)


def catalog_pods(ctx: Context) -> list[Any]:
    return criteria.deployment_pods(ctx, NAME)


def show(labels: dict | None) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted((labels or {}).items()) if k != "pod-template-hash") or "none"


# --- the criteria --------------------------------------------------------------------------------


def set_up(ctx: Context) -> Failure | None:
    if criteria.deployment(ctx, NAME) is None or service(ctx) is None:
        return missions.not_set_up(f"Deployment or no Service {NAME}", SETUP.format(namespace=ctx.namespace))
    return None


def pods_ready(ctx: Context) -> Failure | None:
    found = catalog_pods(ctx)
    if len(found) == REPLICAS and all(is_ready(p) for p in found):
        return None
    return Failure(
        f"{sum(is_ready(p) for p in found)} of {REPLICAS} catalog pods Ready ({len(found)} live)",
        f"the catalog's pods are starting: check again in a few seconds (kubectl get pods -n {ctx.namespace})",
    )


def client_ready(ctx: Context) -> Failure | None:
    return client_runs(ctx, CLIENT)


def judge(ctx: Context, answers: list[str], when: str) -> Failure | None:
    """Every catalog pod answered, and no other pod; else why, from the Service and the pods."""
    pods = {p.metadata.name: p for p in catalog_pods(ctx)}
    counts = Counter(answers)
    strangers = sorted(a for a in counts if a and a not in pods)
    silent = sorted(set(pods) - set(counts))
    if not strangers and not silent and "" not in counts:
        return None
    shown = ", ".join(f"{a or '(no answer)'} x{n}" for a, n in sorted(counts.items()))
    saw = f"{when}, {len(answers)} requests to http://{NAME}/hostname were answered: {shown}"
    found = service(ctx)
    selector = found.spec.selector
    everyone = {p.metadata.name: p for p in live(ctx.cluster.core.list_namespaced_pod(ctx.namespace).items)}
    if not selector:
        return Failure(
            saw,
            f"the Service has no selector, so no controller keeps its endpoints: endpoints listed by hand do not "
            f"follow the pods (the checker replaced one, {', '.join(silent) or 'a pod'} never answered). "
            "Give the Service a selector",
        )
    relabelled = [n for n in strangers if n in everyone and not everyone[n].metadata.owner_references]
    if relabelled:
        return Failure(
            saw,
            f"{', '.join(relabelled)} was relabelled to match the Service: it left its ReplicaSet (a pod "
            f"belongs to whoever selects it), which made another in its place, and the Service reaches that one "
            "pod alone. Change the Service's selector, not the pods",
        )
    if strangers:
        owners = sorted({everyone[n].metadata.labels.get("app", n) for n in strangers if n in everyone})
        return Failure(
            saw,
            f"the selector {show(selector)} also matches pods of {', '.join(owners) or 'another app'}, which "
            f"answer the catalog's requests: select a label only the catalog's pods carry "
            f"({show(next(iter(pods.values())).metadata.labels) if pods else 'see kubectl get pods --show-labels'})",
        )
    if not any(selects(selector, p.metadata.labels) for p in pods.values()):
        return Failure(
            saw,
            f"the Service {NAME} reaches none of the catalog's pods: the clients' requests are rejected before "
            "any pod sees them. Look at what it sends them to before changing anything",
        )
    return Failure(
        saw,
        f"{', '.join(silent) or 'some pods'} did not answer: look at the Service's endpoints "
        f"(kubectl get endpointslices -l kubernetes.io/service-name={NAME} -n {ctx.namespace})",
    )


def replace_one(ctx: Context) -> str:
    """Delete one catalog pod and wait for its replacement to be Ready; the deleted pod's name."""
    victim = sorted(p.metadata.name for p in catalog_pods(ctx))[0]
    ctx.cluster.core.delete_namespaced_pod(victim, ctx.namespace, grace_period_seconds=0)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = catalog_pods(ctx)
        names = {p.metadata.name for p in found}
        if victim not in names and len(found) == REPLICAS and all(is_ready(p) for p in found):
            return victim
        time.sleep(1)
    wait_for_rollout(ctx.cluster, ctx.namespace, NAME, timeout=1)  # raises with the Deployment's state
    return victim


def round_of_requests(ctx: Context, when: str) -> Failure | None:
    return settled(lambda: judge(ctx, requests_from(ctx, CLIENT, f"http://{NAME}/hostname", REQUESTS, 0.2), when))


def play(ctx: Context) -> dict[str, Failure | None]:
    first = round_of_requests(ctx, "before")
    if first:
        return {FIRST: first}
    try:
        victim = replace_one(ctx)
    except LabError as error:
        return {FIRST: None, AFTER: Failure(str(error), "the catalog's Deployment must replace a deleted pod")}
    return {FIRST: None, AFTER: round_of_requests(ctx, f"after {victim} was replaced")}


def outcome(ctx: Context) -> dict[str, Failure | None]:
    found = service(ctx)
    key = (ctx.namespace, found.metadata.uid, found.metadata.resource_version)
    return missions.remembered(OUTCOMES, key, REUSE, lambda: play(ctx))


def answered(ctx: Context) -> Failure | None:
    return outcome(ctx).get(FIRST)


def answered_after(ctx: Context) -> Failure | None:
    results = outcome(ctx)
    if AFTER not in results:
        return Failure("the first round failed", "fix the step before this one first")
    return results[AFTER]


SET_UP = Criterion(f"The Deployment {NAME} and the Service {NAME} are there", set_up)
READY = Criterion(f"The {REPLICAS} catalog pods are Ready", pods_ready, needs=(SET_UP,))
CLIENT_READY = Criterion(f"The checker's client pod {CLIENT} runs", client_ready, needs=(READY,))
ANSWERED = Criterion(
    f"Requests to http://{NAME}/ are answered by every catalog pod, and only by them", answered, needs=(CLIENT_READY,)
)
STILL = Criterion("After one pod is replaced, the new pod answers too", answered_after, needs=(ANSWERED,))

CHECKER = Checker("Mission: the catalog is down for everyone", [SET_UP, READY, CLIENT_READY, ANSWERED, STILL])
