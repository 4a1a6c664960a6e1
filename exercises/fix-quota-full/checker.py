"""Checker of the fix-quota-full mission: the new pool runs and answers, and the namespace is still capped.

The scenario is the team's: every replica of ``workers-v2`` runs and is Ready, and from the client pod
``workers-client`` on the real node, ``REQUESTS`` requests to ``http://workers/hostname`` are all
answered by its pods. Then the checker asks the API server, without making anything (a server-side
dry run), for one pod more than the namespace's share allows: a pod whose CPU request is one
millicore beyond what the share leaves beside the pods that run. The quota must refuse it
(``exceeded quota``): deleting the quota, or raising it past the share, lets the pool start by
hiding the symptom. The objects are read only to say why a step failed. The requests are sent once
per state of the pods: the framework's second look reads the same outcome.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kubernetes import client
from kubernetes.utils import parse_quantity

from threeplanes.checking import Checker, Context, Criterion, Failure, criteria, missions
from threeplanes.checking.missions import requests_from, settled
from threeplanes.errors import LabError
from threeplanes.kit.pods import live
from threeplanes.kit.wait import is_ready, wait_for
from threeplanes.versions import pinned

setup = missions.load_part(Path(__file__).parent, "setup")

NEW, SERVICE, CLIENT, REPLICAS = setup.NEW, setup.SERVICE, setup.CLIENT, setup.REPLICAS
SETUP = ".venv/bin/threeplanes exercise setup fix-quota-full -n {namespace}"
REQUESTS = 8  # half a second apart: about four seconds of traffic
REUSE = 90
OUTCOMES: dict[tuple, tuple[float, Failure | None]] = {}
PROBE = "quota-probe"


def deployment(ctx: Context) -> Any:
    return criteria.deployment(ctx, NEW)


def pods(ctx: Context) -> list[Any]:
    if "pods" not in ctx.notes:
        ctx.notes["pods"] = criteria.deployment_pods(ctx, NEW)
    return ctx.notes["pods"]


def milli(quantity: Any) -> int:
    return int(parse_quantity(quantity) * 1000)


def requested(pod: Any) -> int:
    """The CPU request of a pod (or a pod template) in millicores, as the quota counts it: its containers'."""
    total = 0
    for container in pod.spec.containers:
        asked = (container.resources and container.resources.requests) or {}
        total += milli(asked.get("cpu", "0"))
    return total


def in_use(ctx: Context) -> int:
    """The CPU requests of the namespace's pods that count against a quota (not finished), in millicores."""
    found = ctx.cluster.core.list_namespaced_pod(ctx.namespace).items
    return sum(requested(p) for p in live(found) if p.status.phase not in ("Succeeded", "Failed"))


def quotas(ctx: Context) -> list[Any]:
    return ctx.cluster.core.list_namespaced_resource_quota(ctx.namespace).items


def cpu_caps(ctx: Context) -> dict[str, int]:
    """Each quota's cap on CPU requests, in millicores, by name."""
    caps = {}
    for found in quotas(ctx):
        hard = found.spec.hard or {}
        value = hard.get("requests.cpu", hard.get("cpu"))
        if value is not None:
            caps[found.metadata.name] = milli(value)
    return caps


def refusals(ctx: Context) -> list[str]:
    """The newest ReplicaSet of the new pool's failure to make pods, as its condition says (the quota's words)."""
    sets = ctx.cluster.apps.list_namespaced_replica_set(ctx.namespace, label_selector=f"app={NEW}").items
    newest = sorted(sets, key=lambda r: r.metadata.creation_timestamp)[-1:] if sets else []
    return [c.message for r in newest if (c := setup.replica_failure(r)) is not None and c.message]


# --- the criteria --------------------------------------------------------------------------------


def set_up(ctx: Context) -> Failure | None:
    missing = [
        what
        for what, read in (
            (f"Deployment {NEW}", lambda: deployment(ctx)),
            (f"Service {SERVICE}", lambda: ctx.get(ctx.cluster.core.read_namespaced_service, SERVICE, ctx.namespace)),
        )
        if read() is None
    ]
    if missing:
        return missions.not_set_up(" and no ".join(missing), SETUP.format(namespace=ctx.namespace))
    return None


def keeps_replicas(ctx: Context) -> Failure | None:
    wanted = deployment(ctx).spec.replicas or 0
    if wanted < REPLICAS:
        return Failure(
            f"Deployment {NEW} asks for {wanted} replica(s)",
            f"the new pool needs its {REPLICAS} replicas to carry the work: fewer hides the symptom and halves the "
            f"pool. Scale it back (kubectl scale deployment {NEW} --replicas={REPLICAS}) and find why its pods "
            "are not there",
        )
    return None


def pods_run(ctx: Context) -> Failure | None:
    found, found_deployment = pods(ctx), deployment(ctx)
    if missions.rolled_and_ready(found_deployment, found):
        return None
    saw = f"{len(found)} of {found_deployment.spec.replicas} pods of {NEW} exist, {sum(map(is_ready, found))} Ready"
    pending = [p for p in found if p.status.phase == "Pending" and not p.spec.node_name]
    if pending:
        return Failure(
            f"{saw}; {pending[0].metadata.name} is Pending, not placed on a node",
            f"the pods are made now, but not placed: ask the scheduler why (kubectl describe pod -n {ctx.namespace} "
            f"{pending[0].metadata.name}, its Events)",
        )
    refused = refusals(ctx)
    if refused:
        caps = cpu_caps(ctx)
        each = requested(found_deployment.spec.template)
        want = each * (found_deployment.spec.replicas - len(found))
        if caps and in_use(ctx) + want <= min(caps.values()):
            return Failure(
                f"{saw}; the ReplicaSet's last attempt was refused: {refused[0]}",
                "there is room now, and the ReplicaSet's controller tries again on its own: check again in a few "
                "seconds. If it is slow to, a fresh ReplicaSet makes its first attempt at once "
                f"(kubectl rollout restart deployment/{NEW} -n {ctx.namespace})",
            )
        return Failure(
            f"{saw}: the pods were never made",
            "no pod means nothing for the scheduler or a kubelet to report: the refusal happened before, when the "
            "pods' owner asked for them. Find that owner, and read its conditions and events",
        )
    return Failure(saw, f"the pods are starting: check again in a few seconds (kubectl get pods -n {ctx.namespace})")


def client_ready(ctx: Context) -> Failure | None:
    if ctx.get(ctx.cluster.core.read_namespaced_pod, CLIENT, ctx.namespace) is None:
        try:
            ctx.cluster.core.create_namespaced_pod(ctx.namespace, setup.client_pod())
        except client.ApiException as error:
            reason = json.loads(error.body or "{}").get("message", error.reason)
            return Failure(f"the checker could not make its client pod {CLIENT}: {reason}", "make room for it")
    try:
        wait_for(
            ctx.cluster.core.list_namespaced_pod,
            lambda found: any(p.status.phase == "Running" for p in live(found)),
            what=f"the checker's client pod {CLIENT}",
            describe=lambda found: ", ".join(p.status.phase or "?" for p in found) or "no pod",
            timeout=60,
            namespace=ctx.namespace,
            field_selector=f"metadata.name={CLIENT}",
        )
    except LabError as error:
        return Failure(str(error), "the client runs on the real node: is it Ready? kubectl get nodes")
    return None


def play(ctx: Context) -> Failure | None:
    names = {p.metadata.name for p in pods(ctx)}
    answers = requests_from(ctx, CLIENT, f"http://{SERVICE}/hostname", REQUESTS)
    unanswered = sum(1 for a in answers if not a)
    strangers = sorted({a for a in answers if a and a not in names})
    if unanswered == 0 and not strangers and len(answers) == REQUESTS:
        return None
    saw = f"{unanswered} of {len(answers)} requests to http://{SERVICE}/hostname went unanswered"
    if strangers:
        saw += f"; answers from {', '.join(strangers)}, not a pod of {NEW}"
    return Failure(
        saw,
        f"the pods run but do not all answer through the Service: look at its endpoints "
        f"(kubectl get endpointslices -l kubernetes.io/service-name={SERVICE} -n {ctx.namespace})",
    )


def answers(ctx: Context) -> Failure | None:
    key = (ctx.namespace, tuple(sorted(p.metadata.uid for p in pods(ctx))))
    return missions.remembered(OUTCOMES, key, REUSE, lambda: settled(lambda: play(ctx)))


def probe_pod(cpu_milli: int) -> dict:
    container = {
        "name": "probe",
        "image": pinned().images["busybox"],
        "command": ["true"],
        "resources": {"requests": {"cpu": f"{cpu_milli}m"}},
    }
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": PROBE}, "spec": {"containers": [container]}}


def capped(ctx: Context) -> Failure | None:
    used = in_use(ctx)
    beyond = max(setup.SHARE_MILLI - used + 1, 1)
    try:
        ctx.cluster.core.create_namespaced_pod(ctx.namespace, probe_pod(beyond), dry_run="All")
    except client.ApiException as error:
        reason = json.loads(error.body or "{}").get("message", error.reason)
        if error.status == 403 and "exceeded quota" in reason:
            return None
        return Failure(
            f"a pod asking for {beyond}m of CPU was refused, but not by a quota: {reason}",
            f"the namespace's share is {setup.SHARE} CPU of requests, kept by a ResourceQuota",
        )
    saw = (
        f"a pod asking for {beyond}m of CPU beside the {used}m the namespace's pods request "
        f"({used + beyond}m in all) would have been accepted (a dry run)"
    )
    caps = cpu_caps(ctx)
    if not quotas(ctx):
        return Failure(
            f"{saw}: no ResourceQuota is left in the namespace",
            "deleting the quota hides the symptom: the pool starts, and the namespace may now take the whole "
            f"cluster. Its share is {setup.SHARE} CPU: put the quota back (run the setup again to start over) and "
            "make room within it",
        )
    if not caps:
        return Failure(
            f"{saw}: the quotas left cap no CPU request",
            f"the namespace's share is {setup.SHARE} CPU of requests: the quota must cap requests.cpu",
        )
    named = ", ".join(f"{name}: {value}m" for name, value in caps.items())
    return Failure(
        f"{saw}: the quota allows {named}",
        f"raising the quota lets the pool start, beyond the namespace's share of {setup.SHARE} CPU, which the "
        "platform team set for every team. Keep the share, and make room within it",
    )


SET_UP = Criterion(f"The Deployment {NEW} and the Service {SERVICE} are there", set_up)
REPLICAS_KEPT = Criterion(f"{NEW} still asks for its {REPLICAS} replicas", keeps_replicas, needs=(SET_UP,))
RUNNING = Criterion(f"Every pod of {NEW} runs and is Ready", pods_run, needs=(REPLICAS_KEPT,))
CLIENT_READY = Criterion(f"The checker's client pod {CLIENT} runs", client_ready, needs=(RUNNING,))
ANSWERED = Criterion(
    f"{REQUESTS} requests to http://{SERVICE}/ are all answered by its pods", answers, needs=(RUNNING, CLIENT_READY)
)
CAPPED = Criterion(
    f"The namespace is still held to its share of {setup.SHARE} CPU: one pod more is refused",
    capped,
    needs=(ANSWERED,),
)

CHECKER = Checker(
    "Mission: the new worker pool never came up", [SET_UP, REPLICAS_KEPT, RUNNING, CLIENT_READY, ANSWERED, CAPPED]
)
