"""Checker of the fix-missing-config-key mission: the storefront greets its visitors through its Service.

The scenario is a visitor's: from the pod ``storefront-client`` on the real node, ``REQUESTS``
requests to ``http://storefront/``, half a second apart; each must be answered with the greeting
the page names. Before that, the Deployment must still want its replica (scaling to zero silences
the error without curing it) and its pod must run and be Ready. Whether the reader added the key or
pointed the Deployment at the one that is there does not matter. The objects are read only to say
why a step failed. The requests are sent once per state of the pods and the ConfigMap: the
framework's second look reads the same outcome.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from threeplanes.checking import Checker, Context, Criterion, Failure, criteria, missions
from threeplanes.checking.missions import client_runs, requests_from, settled

setup = missions.load_part(Path(__file__).parent, "setup")

NAME, CONFIG, CLIENT, GREETING = setup.NAME, setup.CONFIG, setup.CLIENT, setup.GREETING
SETUP = ".venv/bin/threeplanes exercise setup fix-missing-config-key -n {namespace}"
REQUESTS = 6
REUSE = 90
OUTCOMES: dict[tuple, tuple[float, Failure | None]] = {}
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"


def deployment(ctx: Context) -> Any:
    return criteria.deployment(ctx, NAME)


def config_map(ctx: Context) -> Any:
    return ctx.get(ctx.cluster.core.read_namespaced_config_map, CONFIG, ctx.namespace)


def pods(ctx: Context) -> list[Any]:
    if "pods" not in ctx.notes:
        ctx.notes["pods"] = criteria.deployment_pods(ctx, NAME)
    return ctx.notes["pods"]


def waiting(pod: Any) -> tuple[str, str] | None:
    """Why the container is not running: (reason, message), or None."""
    for status in pod.status.container_statuses or []:
        if status.state.waiting:
            return status.state.waiting.reason or "", status.state.waiting.message or ""
    return None


def greeting_refs(ctx: Context) -> list[Any]:
    """The configMapKeyRefs the container's WELCOME_MESSAGE is read through (to explain an empty greeting)."""
    refs = []
    for container in deployment(ctx).spec.template.spec.containers:
        for variable in container.env or []:
            if variable.name == "WELCOME_MESSAGE" and variable.value_from and variable.value_from.config_map_key_ref:
                refs.append(variable.value_from.config_map_key_ref)
    return refs


# --- the criteria --------------------------------------------------------------------------------


def set_up(ctx: Context) -> Failure | None:
    if failure := missions.deployment_and_service_there(ctx, NAME, SETUP):
        return failure
    if config_map(ctx) is None:
        return Failure(
            f"no ConfigMap {CONFIG}: the storefront's configuration is gone",
            f"the storefront reads its configuration from the ConfigMap {CONFIG}: keep it, and fix what is "
            f"missing in it or in what reads it (to start over: {SETUP.format(namespace=ctx.namespace)})",
        )
    return None


def keeps_replica(ctx: Context) -> Failure | None:
    if not deployment(ctx).spec.replicas:
        return Failure(
            f"Deployment {NAME} asks for 0 replicas",
            "scaling to zero hides the symptom (no pod reports an error) without curing it: nobody is served. "
            f"Scale back to 1 (kubectl scale deployment {NAME} --replicas=1) and find what the pod waits for",
        )
    return None


def pod_runs(ctx: Context) -> Failure | None:
    found, found_deployment = pods(ctx), deployment(ctx)
    if missions.rolled_and_ready(found_deployment, found):
        return None
    stuck = [(p, w) for p in found if (w := waiting(p))]
    saw = "; ".join(f"{p.metadata.name}: {w[0]}" for p, w in stuck) or f"{len(found)} pod(s), not all Ready"
    config_errors = [p for p, w in stuck if w[0] == "CreateContainerConfigError"]
    if config_errors:
        restarted = (found_deployment.spec.template.metadata.annotations or {}).get(RESTARTED_AT)
        if restarted:
            return Failure(
                saw,
                "a rollout restart makes new pods from the same template and the same ConfigMap: they stop "
                "at the same place. The cause is in what the template reads, so the cure goes there",
            )
        return Failure(
            saw,
            f"the pod of {NAME} never starts its container: the kubelet will not make it. Find out what it is "
            "waiting for before changing anything",
        )
    return Failure(saw, f"the pod is starting: check again in a few seconds (kubectl get pods -n {ctx.namespace})")


def client_ready(ctx: Context) -> Failure | None:
    return client_runs(ctx, CLIENT)


def play(ctx: Context) -> Failure | None:
    answers = requests_from(ctx, CLIENT, f"http://{NAME}/", REQUESTS)
    wrong = sorted({a for a in answers if a != GREETING})
    if not wrong and len(answers) == REQUESTS:
        return None
    if wrong == [""]:
        optional = [r for r in greeting_refs(ctx) if r.optional]
        if optional:
            return Failure(
                f"{REQUESTS} requests to http://{NAME}/ got an empty page: WELCOME_MESSAGE is empty",
                f"optional: true on the reference to key {optional[0].key} lets the container start without "
                "the value: that hides the symptom (no error), and the visitors get an empty page. The "
                "greeting exists in the ConfigMap: read it from there",
            )
        return Failure(
            f"{REQUESTS} requests to http://{NAME}/ got no answer or an empty page",
            f"the pod runs: look at what it was given (kubectl exec deploy/{NAME} -n {ctx.namespace} -- env) and "
            f"at the Service's endpoints (kubectl get endpointslices -l kubernetes.io/service-name={NAME})",
        )
    shown = ", ".join(repr(a) for a in wrong)
    return Failure(
        f"the storefront greets with {shown}",
        f"the storefront greets with {shown}, not {GREETING!r}: the greeting is already in the ConfigMap "
        f"{CONFIG} (kubectl get configmap {CONFIG} -o yaml); give the app that value",
    )


def answers(ctx: Context) -> Failure | None:
    found = config_map(ctx)
    state = (
        ctx.namespace,
        tuple(
            sorted((p.metadata.uid, sum(s.restart_count for s in p.status.container_statuses or [])) for p in pods(ctx))
        ),
        found.metadata.resource_version,
    )
    return missions.remembered(OUTCOMES, state, REUSE, lambda: settled(lambda: play(ctx)))


SET_UP = Criterion(f"The Deployment {NAME}, its Service and the ConfigMap {CONFIG} are there", set_up)
REPLICA = Criterion(f"{NAME} still asks for its replica", keeps_replica, needs=(SET_UP,))
RUNNING = Criterion(f"The pod of {NAME} runs and is Ready", pod_runs, needs=(REPLICA,))
CLIENT_READY = Criterion(f"The checker's client pod {CLIENT} runs", client_ready, needs=(RUNNING,))
ANSWERED = Criterion(
    f"{REQUESTS} requests to http://{NAME}/ are answered with {GREETING!r}", answers, needs=(RUNNING, CLIENT_READY)
)

CHECKER = Checker("Mission: the new storefront never comes up", [SET_UP, REPLICA, RUNNING, CLIENT_READY, ANSWERED])
