"""Checker of the fix-shop-down mission: the shop serves its banner again, and stops sending requests to a
pod that stops answering.

The scenario, from the pod ``shop-client`` on the real node: ``REQUESTS`` requests to ``http://shop/``
must all be answered with the banner of the ConfigMap ``shop-config``. Then the checker makes one shop
pod stop answering without exiting (it pauses its web server with ``SIGSTOP``, as a server that hangs)
and sends requests again: within ``OUT_S`` seconds every request must be answered by the other pod,
which only a readiness probe that asks the server itself can bring about. The server is resumed
afterwards. The objects (the pods' states, the Service's ports, the probe) are read only to say why a
step failed. The scenario is played once per state of the shop: the framework's second look reads the
same outcome.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from threeplanes.checking import Checker, Context, Criterion, Failure, criteria, missions
from threeplanes.checking.missions import client_runs, requests_from, settled
from threeplanes.kit.kubectl import kubectl
from threeplanes.kit.wait import is_ready

setup = missions.load_part(Path(__file__).parent, "setup")

NAME, CLIENT, CONFIG, BANNER, REPLICAS = setup.NAME, setup.CLIENT, setup.CONFIG, setup.BANNER, setup.REPLICAS
SETUP = ".venv/bin/threeplanes exercise setup fix-shop-down -n {namespace}"
REQUESTS = 12
OUT_S = 25  # for a paused pod to stop getting requests: a few probe periods, then kube-proxy's rules
REUSE = 120
OUTCOMES: dict[tuple, tuple[float, dict[str, Failure | None]]] = {}
SERVES, OUT = "serves", "out"


def pods(ctx: Context) -> list[Any]:
    if "pods" not in ctx.notes:
        ctx.notes["pods"] = criteria.deployment_pods(ctx, NAME)
    return ctx.notes["pods"]


def status(pod: Any) -> Any | None:
    return next(iter(pod.status.container_statuses or []), None)


def running_unready(pod: Any, settled_s: float = 3) -> bool:
    """Its container has run ``settled_s`` s or more and the pod is still not Ready (a crashing container runs
    for an instant between restarts)."""
    found = status(pod)
    running = found.state.running if found else None
    if running is None or is_ready(pod) or running.started_at is None:
        return False
    return (datetime.now(UTC) - running.started_at).total_seconds() >= settled_s


def service(ctx: Context) -> Any | None:
    return ctx.get(ctx.cluster.core.read_namespaced_service, NAME, ctx.namespace)


# --- the criteria --------------------------------------------------------------------------------


def set_up(ctx: Context) -> Failure | None:
    return missions.deployment_and_service_there(ctx, NAME, SETUP)


def keeps_replicas(ctx: Context) -> Failure | None:
    return missions.keeps_replicas(ctx, NAME, REPLICAS, f"the shop runs {REPLICAS} so that one can fail")


def pods_ready(ctx: Context) -> Failure | None:
    found = pods(ctx)
    if missions.rolled_and_ready(criteria.deployment(ctx, NAME), found) and len(found) == REPLICAS:
        return None
    saw = "; ".join(missions.first_container_summary(p) for p in found) or "no pod"
    if any(running_unready(p) for p in found):
        return Failure(
            saw,
            "the containers run, but the pods are not Ready, so no Service sends them anything: the kubelet "
            f"says why in the pods' events (kubectl describe pod -n {ctx.namespace} -l app={NAME})",
        )
    if any(status(p) and status(p).restart_count and not status(p).state.running for p in found):
        return Failure(
            saw,
            "the shop's container stops soon after it starts, and the kubelet starts it again: read what it said "
            f"before it stopped (kubectl logs --previous -n {ctx.namespace} deploy/{NAME})",
        )
    return Failure(
        saw, f"the shop's pods are starting: check again in a few seconds (kubectl get pods -n {ctx.namespace})"
    )


def client_ready(ctx: Context) -> Failure | None:
    return client_runs(ctx, CLIENT)


def judge(ctx: Context, answers: list[str], when: str) -> Failure | None:
    wrong = [a for a in answers if a != BANNER]
    if not wrong:
        return None
    shown = ", ".join(f"{a!r}" if a else "(no answer)" for a in sorted(set(wrong)))
    saw = (
        f"{when}, {len(wrong)} of {len(answers)} requests to http://{NAME}/ were not answered with the banner: {shown}"
    )
    if any(wrong):
        return Failure(saw, f"the page must be the banner of the ConfigMap {CONFIG}, as the marketing team wrote it")
    ports = [(p.port, p.target_port) for p in service(ctx).spec.ports or []]
    return Failure(
        saw,
        f"the pods are Ready but the Service does not reach them: compare where it sends its port {ports} with "
        f"where the pods listen (kubectl get endpointslices -l kubernetes.io/service-name={NAME} -n {ctx.namespace}, "
        "kubectl describe pod)",
    )


def answered(ctx: Context, when: str) -> Failure | None:
    return judge(ctx, requests_from(ctx, CLIENT, f"http://{NAME}/", REQUESTS, 0.2), when)


def pause(ctx: Context, pod: Any, signal: str) -> None:
    signalled = f"kill -{signal} $(pidof httpd)"
    kubectl(f"exec -n {ctx.namespace} {pod.metadata.name} -c web -- sh -c '{signalled}'", ctx.cluster, show=False)


def taken_out(ctx: Context) -> Failure | None:
    """Pause one pod's server; every request must then go to the other pod within ``OUT_S``."""
    victim = sorted(pods(ctx), key=lambda p: p.metadata.name)[0]
    direct = f"http://{victim.status.pod_ip}:{setup.PORT}/"
    pause(ctx, victim, "STOP")
    try:
        if requests_from(ctx, CLIENT, direct, 1, 0, give_up=1) != [""]:
            return Failure(
                f"the checker paused the web server of {victim.metadata.name}, and it still answers",
                "keep the shop's script as it was (its shell starts httpd and waits for it): the checker pauses "
                "httpd to see what the Service does with a pod that hangs",
            )
        deadline = time.monotonic() + OUT_S
        while True:
            failure = answered(ctx, f"{victim.metadata.name}'s server paused")
            if failure is None or time.monotonic() > deadline:
                break
        if failure is None:
            return None
        probe = victim.spec.containers[0].readiness_probe
        kind = "no readiness probe" if probe is None else "a readiness probe that does not ask the web server"
        if probe is not None and probe.http_get is not None:
            kind = "a readiness probe that did not notice"
        return Failure(
            f"the checker paused the web server of {victim.metadata.name} (it hangs, without exiting), and after "
            f"{OUT_S} s the Service still sent it requests: {failure.saw}",
            f"the shop has {kind}: a pod that hangs keeps its place behind the Service, and its share of the "
            "customers waits. Removing a failing probe hides the symptom; the probe must ask the server itself "
            "(an HTTP GET on the port it serves)",
        )
    finally:
        pause(ctx, victim, "CONT")


def play(ctx: Context) -> dict[str, Failure | None]:
    first = settled(lambda: answered(ctx, "with both pods Ready"))
    if first:
        return {SERVES: first}
    return {SERVES: None, OUT: taken_out(ctx)}


def outcome(ctx: Context) -> dict[str, Failure | None]:
    found = service(ctx)
    state = tuple(sorted((p.metadata.uid, status(p).restart_count if status(p) else 0) for p in pods(ctx)))
    key = (ctx.namespace, found.metadata.resource_version, state)
    return missions.remembered(OUTCOMES, key, REUSE, lambda: play(ctx))


def serves(ctx: Context) -> Failure | None:
    return outcome(ctx).get(SERVES)


def hung_pod_out(ctx: Context) -> Failure | None:
    results = outcome(ctx)
    if OUT not in results:
        return Failure("the first round failed", "fix the step before this one first")
    return results[OUT]


SET_UP = Criterion(f"The Deployment {NAME} and the Service {NAME} are there", set_up)
REPLICAS_KEPT = Criterion(f"{NAME} still asks for its {REPLICAS} replicas", keeps_replicas, needs=(SET_UP,))
READY = Criterion(f"The {REPLICAS} shop pods run and are Ready", pods_ready, needs=(REPLICAS_KEPT,))
CLIENT_READY = Criterion(f"The checker's client pod {CLIENT} runs", client_ready, needs=(READY,))
SERVES_BANNER = Criterion(
    f"Requests to http://{NAME}/ are answered with the banner of {CONFIG}", serves, needs=(CLIENT_READY,)
)
HANG_OUT = Criterion(
    "A pod whose server hangs stops getting requests, and the others answer them", hung_pod_out, needs=(SERVES_BANNER,)
)

CHECKER = Checker(
    "Mission: the shop is down after the weekend's maintenance",
    [SET_UP, REPLICAS_KEPT, READY, CLIENT_READY, SERVES_BANNER, HANG_OUT],
)
