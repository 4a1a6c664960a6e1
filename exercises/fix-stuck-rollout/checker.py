"""Checker of the fix-stuck-rollout mission: release v2 of checkout live, and no customer sent to a pod
still warming up.

The scenario, from the pod ``checkout-client`` on the real node: the rollout must be complete and
``REQUESTS`` requests to ``http://checkout/`` must all be answered ``checkout v2 ok``. Then the
checker adds a replica, as an autoscaler or a node failure would, waits until its container has
started, and sends requests through its warm-up: every one must be answered. A readiness probe
that tells the truth keeps the new pod out of the Service until it can serve; without one (or
with one that passes as soon as the port opens) customers get errors. The checker then puts the
replicas back. The probe is read only to say why a step failed. The scenario is played once per
template: the framework's second look reads the same outcome.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from threeplanes.checking import Checker, Context, Criterion, Failure, criteria, missions
from threeplanes.checking.missions import client_runs, requests_from, settled
from threeplanes.kit.pods import live
from threeplanes.kit.wait import rollout_complete, rollout_state

setup = missions.load_part(Path(__file__).parent, "setup")

NAME, CLIENT, REPLICAS = setup.NAME, setup.CLIENT, setup.REPLICAS
SETUP = ".venv/bin/threeplanes exercise setup fix-stuck-rollout -n {namespace}"
REQUESTS = 20
WARMUP_REQUESTS = 45  # a fifth of a second apart: more than the warm-up
LIVE = "checkout v2 ok"
REUSE = 120
OUTCOMES: dict[tuple, tuple[float, dict[str, Failure | None]]] = {}
V2, WARM = "v2", "warm"


def deployment(ctx: Context) -> Any:
    return criteria.deployment(ctx, NAME)


def probe(ctx: Context) -> Any:
    return deployment(ctx).spec.template.spec.containers[0].readiness_probe


def set_up(ctx: Context) -> Failure | None:
    return missions.deployment_and_service_there(ctx, NAME, SETUP)


def keeps_replicas(ctx: Context) -> Failure | None:
    return missions.keeps_replicas(ctx, NAME, REPLICAS, f"the shop needs its {REPLICAS} replicas")


def rolled_out(ctx: Context) -> Failure | None:
    found = deployment(ctx)
    if rollout_complete(found):
        return None
    stuck = next(
        (
            c
            for c in found.status.conditions or []
            if c.type == "Progressing" and c.reason == "ProgressDeadlineExceeded"
        ),
        None,
    )
    saw = rollout_state(found) + (f"; {stuck.message}" if stuck else "")
    unready = [p for p in criteria.deployment_pods(ctx, NAME) if p.status.phase == "Running"]
    if stuck or unready:
        return Failure(
            saw,
            f"the rollout of {NAME} is stuck: its new pods run but never become Ready, and the old ones keep "
            "serving. Find out what keeps the new pods from Ready before changing anything",
        )
    return Failure(saw, f"the rollout is under way: kubectl rollout status deployment/{NAME} -n {ctx.namespace}")


def client_ready(ctx: Context) -> Failure | None:
    return client_runs(ctx, CLIENT)


def serves_v2(ctx: Context) -> Failure | None:
    other, saw = missions.answers_besides(ctx, CLIENT, f"http://{NAME}/", LIVE, REQUESTS)
    if not saw:
        return None
    if any("v1" in a for a in other):
        return Failure(
            saw,
            "release v2 never went live: the pods serve v1 (a rollout undo brings v1 back, it does not ship v2). "
            "Roll out v2 with what keeps its pods from Ready fixed",
        )
    return Failure(
        saw,
        f"the pods do not all answer: look at the Service's endpoints (kubectl get endpointslices -n {ctx.namespace})",
    )


def scale(ctx: Context, replicas: int) -> None:
    ctx.cluster.apps.patch_namespaced_deployment_scale(NAME, ctx.namespace, {"spec": {"replicas": replicas}})


def warm_up_round(ctx: Context) -> Failure | None:
    """Add a replica, wait for its container to start, send requests through its warm-up; put it back."""
    wanted = deployment(ctx).spec.replicas
    before = {p.metadata.name for p in criteria.deployment_pods(ctx, NAME)}
    scale(ctx, wanted + 1)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            pods = live(ctx.cluster.core.list_namespaced_pod(ctx.namespace, label_selector=f"app={NAME}").items)
            new = [p for p in pods if p.metadata.name not in before and p.status.phase == "Running"]
            if new:
                break
            time.sleep(0.5)
        else:
            return Failure("the added replica did not start within 60 s", "is the real node Ready? kubectl get nodes")
        answers = requests_from(ctx, CLIENT, f"http://{NAME}/", WARMUP_REQUESTS, 0.2)
    finally:
        scale(ctx, wanted)
    errors = sum(1 for a in answers if a != LIVE)
    if errors == 0:
        return None
    saw = f"while a new pod ({new[0].metadata.name}) warmed up, {errors} of {len(answers)} requests got no page"
    found = probe(ctx)
    if found is None:
        return Failure(
            saw,
            "the readiness probe told the truth: the application needs a few seconds before it can serve. "
            "Without a probe a new pod is Ready at once and gets customers during its warm-up: removing it "
            "hides the symptom. Keep a probe, on a page that exists once the application can serve",
        )
    kind = "a TCP" if found.tcp_socket else "an exec" if found._exec else "a gRPC" if found.grpc else "an HTTP"
    return Failure(
        saw,
        f"{kind} readiness probe that passes as soon as the port opens makes the pod Ready before it can serve. "
        "Probe a page the application serves only once it is warm",
    )


def outcome(ctx: Context) -> dict[str, Failure | None]:
    hashes = {(p.metadata.labels or {}).get("pod-template-hash") for p in criteria.deployment_pods(ctx, NAME)}
    key = (ctx.namespace, tuple(sorted(h or "" for h in hashes)))

    def play() -> dict[str, Failure | None]:
        first = settled(lambda: serves_v2(ctx))
        return {V2: first} if first else {V2: None, WARM: warm_up_round(ctx)}

    return missions.remembered(OUTCOMES, key, REUSE, play)


def live_v2(ctx: Context) -> Failure | None:
    return outcome(ctx)[V2]


def no_error_while_warming(ctx: Context) -> Failure | None:
    results = outcome(ctx)
    if WARM not in results:
        return Failure("v2 is not live yet", "fix the step before this one first")
    return results[WARM]


SET_UP = Criterion(f"The Deployment {NAME} and its Service are there", set_up)
REPLICAS_KEPT = Criterion(f"{NAME} still asks for its {REPLICAS} replicas", keeps_replicas, needs=(SET_UP,))
ROLLED_OUT = Criterion(f"The rollout of {NAME} is complete", rolled_out, needs=(REPLICAS_KEPT,))
CLIENT_READY = Criterion(f"The checker's client pod {CLIENT} runs", client_ready, needs=(ROLLED_OUT,))
V2_LIVE = Criterion(f"Requests to http://{NAME}/ are answered {LIVE!r}", live_v2, needs=(CLIENT_READY,))
WARM_UP = Criterion(
    "A replica added under traffic gets no request before it can serve", no_error_while_warming, needs=(V2_LIVE,)
)

CHECKER = Checker(
    "Mission: the new checkout release never went live",
    [SET_UP, REPLICAS_KEPT, ROLLED_OUT, CLIENT_READY, V2_LIVE, WARM_UP],
)
