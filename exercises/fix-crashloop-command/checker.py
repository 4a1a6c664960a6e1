"""Checker of the fix-crashloop-command mission: the shop's API answers through its Service, and keeps running.

The scenario is the user's: from the pod ``shop-client`` on the real node, ``REQUESTS`` requests to
``http://shop-api/hostname``, half a second apart; each must be answered by a pod of ``shop-api``,
and no pod of it may restart or be replaced meanwhile. Before that, the checker asks that the
Deployment still wants its two replicas (scaling to zero silences the crash without curing it)
and that every pod runs and is Ready. The objects are read only to say why a step failed. The
requests are sent once per state of the pods (their uids and restart counts): the framework's
second look reads the same outcome.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from threeplanes.checking import Checker, Context, Criterion, Failure, criteria, missions
from threeplanes.checking.missions import client_runs, requests_from, settled
from threeplanes.kit.pods import pod_log
from threeplanes.kit.wait import is_ready

setup = missions.load_part(Path(__file__).parent, "setup")

NAME, CLIENT, REPLICAS = setup.NAME, setup.CLIENT, setup.REPLICAS
SETUP = ".venv/bin/threeplanes exercise setup fix-crashloop-command -n {namespace}"
REQUESTS = 16  # half a second apart: about eight seconds of traffic
REUSE = 90  # seconds an outcome of the requests serves the same pods
OUTCOMES: dict[tuple, tuple[float, Failure | None]] = {}


def deployment(ctx: Context) -> Any:
    return criteria.deployment(ctx, NAME)


def pods(ctx: Context) -> list[Any]:
    key = "pods"
    if key not in ctx.notes:
        ctx.notes[key] = criteria.deployment_pods(ctx, NAME)
    return ctx.notes[key]


def restarts(pod: Any) -> int:
    return sum(s.restart_count for s in pod.status.container_statuses or [])


def state_of(pod: Any) -> str:
    """``CrashLoopBackOff, last exit 1 (Error), 3 restarts`` or ``Running``."""
    status = next(iter(pod.status.container_statuses or []), None)
    if status is None:
        return pod.status.phase or "Unknown"
    now = status.state
    words = [
        (now.waiting and now.waiting.reason) or (now.terminated and now.terminated.reason) or "Running",
    ]
    last = status.last_state.terminated if status.last_state else None
    if last:
        words.append(f"last exit {last.exit_code} ({last.reason})")
    words.append(f"{status.restart_count} restart{'s' if status.restart_count != 1 else ''}")
    return ", ".join(words)


def start_message(pod: Any) -> str | None:
    """What the runtime said when it could not start the container (a missing executable), if it said so."""
    for status in pod.status.container_statuses or []:
        for state in (status.state, status.last_state):
            ended = state and state.terminated
            waiting = state and state.waiting
            if ended and ended.reason == "StartError":
                return ended.message
            if waiting and waiting.reason in ("RunContainerError", "CreateContainerError") and waiting.message:
                return waiting.message
    return None


def replaced(ctx: Context, found: list[Any]) -> bool:
    """True when a crashing pod of the ReplicaSet the setup saw crash is not one the setup saw: the reader
    deleted a pod, and its ReplicaSet made the same one again."""
    noted = (deployment(ctx).metadata.annotations or {}).get(setup.BROKEN_PODS, "")
    seen = {n for n in noted.split(",") if n}
    prefixes = {n.rsplit("-", 1)[0] for n in seen}
    return any(p.metadata.name not in seen and p.metadata.name.rsplit("-", 1)[0] in prefixes for p in found)


# --- the criteria --------------------------------------------------------------------------------


def set_up(ctx: Context) -> Failure | None:
    missing = [
        what
        for what, read in (
            (f"Deployment {NAME}", lambda: deployment(ctx)),
            (f"Service {NAME}", lambda: ctx.get(ctx.cluster.core.read_namespaced_service, NAME, ctx.namespace)),
        )
        if read() is None
    ]
    if missing:
        return missions.not_set_up(" and no ".join(missing), SETUP.format(namespace=ctx.namespace))
    return None


def keeps_replicas(ctx: Context) -> Failure | None:
    wanted = deployment(ctx).spec.replicas
    if wanted == 0:
        return Failure(
            f"Deployment {NAME} asks for 0 replicas",
            "scaling to zero hides the symptom (no pod crashes) without curing it: nothing answers the shop now. "
            f"Scale back to {REPLICAS} (kubectl scale deployment {NAME} --replicas={REPLICAS}) and find why the "
            "pods exit",
        )
    if wanted < REPLICAS:
        return Failure(
            f"Deployment {NAME} asks for {wanted} replica(s)",
            f"the shop needs its {REPLICAS} replicas: kubectl scale deployment {NAME} --replicas={REPLICAS}",
        )
    return None


def pods_run(ctx: Context) -> Failure | None:
    found = pods(ctx)
    found_deployment = deployment(ctx)
    current = (found_deployment.status.observed_generation or 0) >= found_deployment.metadata.generation
    ready = [p for p in found if is_ready(p)]
    if current and len(found) == found_deployment.spec.replicas and len(ready) == len(found):
        return None
    failing = [p for p in found if not is_ready(p)]
    saw = "; ".join(f"{p.metadata.name}: {state_of(p)}" for p in failing) or f"{len(found)} pods"
    message = next((m for p in failing if (m := start_message(p))), None)
    if message:
        return Failure(
            f"{saw}; the runtime could not start the container: {message}",
            "the container never started: `command` replaces the image's entrypoint (agnhost's is /agnhost), "
            "so a subcommand there is looked for as a program. Keep the program's words in args, or name "
            "the entrypoint in command",
        )
    if not any(restarts(p) or setup.crashed(p) for p in failing):
        return Failure(
            saw, f"the pods are starting: check again in a few seconds (kubectl get pods -n {ctx.namespace})"
        )
    if replaced(ctx, failing):
        return Failure(
            saw,
            "deleting the pod only brings a new one from the same template, which crashes the same way: "
            "the cause is in the Deployment's pod template, so the cure goes there",
        )
    return Failure(
        saw,
        f"the pods of {NAME} keep restarting: the kubelet starts the container again and again, and it "
        "exits each time. Find out why it exits before changing anything",
    )


def client_ready(ctx: Context) -> Failure | None:
    return client_runs(ctx, CLIENT)


def listening_port(ctx: Context, pod: Any) -> str | None:
    """The port the server says it started on, from its log (to explain unanswered requests)."""
    try:
        text = pod_log(ctx.cluster, ctx.namespace, pod.metadata.name)
    except Exception:  # noqa: BLE001 - only an explanation
        return None
    for line in text.splitlines():
        if "Started HTTP server on port" in line:
            return line.rsplit(" ", 1)[-1]
    return None


def play(ctx: Context) -> Failure | None:
    before = {p.metadata.uid: restarts(p) for p in pods(ctx)}
    names = {p.metadata.name for p in pods(ctx)}
    answers = requests_from(ctx, CLIENT, f"http://{NAME}/hostname", REQUESTS)
    after_pods = criteria.deployment_pods(ctx, NAME)
    after = {p.metadata.uid: restarts(p) for p in after_pods}
    if after != before:
        changed = [p.metadata.name for p in after_pods if before.get(p.metadata.uid) != restarts(p)]
        return Failure(
            f"during the requests, pods restarted or were replaced: {', '.join(changed) or 'a pod went away'}",
            "the pods must keep running under traffic: look at why they stop (kubectl describe pod, "
            "kubectl logs --previous)",
        )
    unanswered = sum(1 for a in answers if not a)
    strangers = sorted({a for a in answers if a and a not in names})
    if unanswered == 0 and not strangers and len(answers) == REQUESTS:
        return None
    saw = f"{unanswered} of {len(answers)} requests to http://{NAME}/ went unanswered"
    if strangers:
        saw += f"; answers from {', '.join(strangers)}, not a pod of {NAME}"
    ports = {port for p in pods(ctx) if (port := listening_port(ctx, p))}
    service = ctx.get(ctx.cluster.core.read_namespaced_service, NAME, ctx.namespace)
    target = service.spec.ports[0].target_port if service and service.spec.ports else None
    if ports and str(setup.PORT) not in ports:
        return Failure(
            f"{saw}; the pods say they serve on port {', '.join(sorted(ports))}",
            f"the pods run, but the Service sends to targetPort {target} (the container port named http, "
            f"{setup.PORT}) and the server listens elsewhere: make the server listen where the Service sends",
        )
    return Failure(
        saw,
        f"the pods run but do not answer through the Service: look at its endpoints "
        f"(kubectl get endpointslices -l kubernetes.io/service-name={NAME} -n {ctx.namespace})",
    )


def answers(ctx: Context) -> Failure | None:
    key = (ctx.namespace, tuple(sorted((p.metadata.uid, restarts(p)) for p in pods(ctx))))
    return missions.remembered(OUTCOMES, key, REUSE, lambda: settled(lambda: play(ctx)))


SET_UP = Criterion(f"The Deployment {NAME} and its Service are there", set_up)
REPLICAS_KEPT = Criterion(f"{NAME} still asks for its {REPLICAS} replicas", keeps_replicas, needs=(SET_UP,))
RUNNING = Criterion(f"Every pod of {NAME} runs and is Ready", pods_run, needs=(REPLICAS_KEPT,))
CLIENT_READY = Criterion(f"The checker's client pod {CLIENT} runs", client_ready, needs=(RUNNING,))
ANSWERED = Criterion(
    f"{REQUESTS} requests to http://{NAME}/ over 8 s are all answered, and no pod restarts meanwhile",
    answers,
    needs=(RUNNING, CLIENT_READY),
)

CHECKER = Checker("Mission: the shop's API does not answer", [SET_UP, REPLICAS_KEPT, RUNNING, CLIENT_READY, ANSWERED])
