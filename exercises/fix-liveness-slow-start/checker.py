"""Checker of the fix-liveness-slow-start mission: search comes up and stays up, and a hang still
gets it restarted.

The scenario, on the real node: the pod of ``search`` must be Ready, its container must have run
``HOLD`` s with no restart (the checker waits out what is left of them), and requests to
``http://search/`` from the pod ``search-client`` must all be answered ``search ok``. Then the
checker makes the application hang, as a deadlocked server would: it stops the ``httpd`` process
with SIGSTOP (the port stays open, nothing answers). The liveness probe must tell the kubelet,
which must restart the container within ``HANG_LIMIT`` s; the checker then waits for the new
container to warm up and be Ready again (the cure must hold for a restart too). Without a
liveness probe, or with one that asks too rarely, the hang is never noticed. The probes are read
only to say why a step failed. The scenario is played once per template: the framework's second
look reads the same outcome.
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

NAME, CLIENT = setup.NAME, setup.CLIENT
SETUP = ".venv/bin/threeplanes exercise setup fix-liveness-slow-start -n {namespace}"
HOLD = 10  # seconds the container must run without a restart: past the warm-up and several probes
REQUESTS = 8
HANG_LIMIT = 20  # seconds within which the kubelet must restart a hung search
BACK_LIMIT = 45  # seconds within which the restarted container must be Ready again
LIVE = "search ok"
HANG = "kill -STOP $(pidof httpd)"
RESUME = "kill -CONT $(pidof httpd)"  # the reader's pod as it was, after a hang nothing noticed
REUSE = 120
OUTCOMES: dict[tuple, tuple[float, dict[str, Failure | None]]] = {}
UP, HEALS = "up", "heals"


def deployment(ctx: Context) -> Any:
    return criteria.deployment(ctx, NAME)


def pods(ctx: Context) -> list[Any]:
    return criteria.deployment_pods(ctx, NAME)


def status(pod: Any) -> Any | None:
    return next(iter(pod.status.container_statuses or []), None)


def liveness(ctx: Context) -> Any:
    return deployment(ctx).spec.template.spec.containers[0].liveness_probe


def set_up(ctx: Context) -> Failure | None:
    return missions.deployment_and_service_there(ctx, NAME, SETUP)


def keeps_replica(ctx: Context) -> Failure | None:
    if not deployment(ctx).spec.replicas:
        return Failure(
            f"Deployment {NAME} asks for 0 replicas",
            "scaling to zero hides the symptom (nothing restarts) without curing it: nobody can search. "
            f"Scale back to 1 (kubectl scale deployment {NAME} --replicas=1) and find out why it restarts",
        )
    return None


def pod_runs(ctx: Context) -> Failure | None:
    found = pods(ctx)
    if missions.rolled_and_ready(deployment(ctx), found):
        return None
    saw = "; ".join(missions.first_container_summary(p) for p in found) or "no pod"
    if any(status(p) and status(p).restart_count for p in found):
        return Failure(
            saw,
            f"the container of {NAME} keeps restarting before it is ever Ready: find out who restarts it and why "
            "before changing anything",
        )
    return Failure(saw, f"the pod is starting: check again in a few seconds (kubectl get pods -n {ctx.namespace})")


def client_ready(ctx: Context) -> Failure | None:
    return client_runs(ctx, CLIENT)


def stays_up(ctx: Context, pod: Any) -> Failure | None:
    """Wait out what is left of ``HOLD``; then no restart meanwhile, and every request answered."""
    first = status(pod)
    left = HOLD - (datetime.now(UTC) - first.state.running.started_at).total_seconds()
    if left > 0:
        time.sleep(left)
    again = status(ctx.cluster.core.read_namespaced_pod(pod.metadata.name, ctx.namespace))
    if again.restart_count != first.restart_count or not again.state.running:
        return Failure(
            f"{pod.metadata.name} restarted within {HOLD} s of starting",
            "it is still killed during its warm-up: look at its events (kubectl describe pod)",
        )

    def answered() -> Failure | None:
        answers = requests_from(ctx, CLIENT, f"http://{NAME}/", REQUESTS, 0.2)
        other = sorted({a or "(no answer)" for a in answers if a != LIVE})
        if not other and len(answers) == REQUESTS:
            return None
        return Failure(
            f"{len(answers)} requests to http://{NAME}/ answered: {', '.join(other)} (wanted {LIVE!r})",
            f"the pod runs but does not answer through the Service: look at its endpoints "
            f"(kubectl get endpointslices -n {ctx.namespace})",
        )

    return settled(answered)


def restarted_after(ctx: Context, name: str, count: int, within: float) -> Any | None:
    """The pod ``name`` once its container's restart count exceeds ``count``; None after ``within`` s."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        found = ctx.get(ctx.cluster.core.read_namespaced_pod, name, ctx.namespace)
        if found is None or (status(found) and status(found).restart_count > count):
            return found
        time.sleep(0.5)
    return None


def heals(ctx: Context, pod: Any) -> Failure | None:
    """Hang the application; the kubelet must restart it, and the new container must become Ready."""
    name, count = pod.metadata.name, status(pod).restart_count
    kubectl(f"exec -n {ctx.namespace} {name} -- sh -c '{HANG}'", ctx.cluster, show=False)
    hung_at = time.monotonic()
    found = restarted_after(ctx, name, count, HANG_LIMIT)
    if found is None:
        kubectl(f"exec -n {ctx.namespace} {name} -- sh -c '{RESUME}'", ctx.cluster, show=False)
        saw = f"the checker hung search's server in {name} (SIGSTOP): no restart within {HANG_LIMIT} s"
        probe = liveness(ctx)
        if probe is None:
            return Failure(
                saw,
                "without a liveness probe the kubelet never learns that a running process has stopped answering: "
                "removing it hides the symptom, and a hung search stays hung. Keep a liveness probe, and give the "
                "warm-up its own allowance",
            )
        period, threshold = probe.period_seconds or 10, probe.failure_threshold or 3
        return Failure(
            saw,
            f"the liveness probe asks every {period} s and gives up after {threshold} failures: it takes too long "
            f"to notice a hang (about {period * threshold} s). Keep it quick to notice a hang once the application "
            "is up, and give the warm-up its own allowance",
        )
    took = time.monotonic() - hung_at
    deadline = time.monotonic() + BACK_LIMIT
    while time.monotonic() < deadline:
        found = ctx.get(ctx.cluster.core.read_namespaced_pod, name, ctx.namespace)
        if found is not None and is_ready(found) and status(found).state.running:
            return None
        time.sleep(0.5)
    return Failure(
        f"the kubelet restarted {name} {took:.0f} s after the hang, but it was not Ready {BACK_LIMIT} s later",
        "after a restart the warm-up starts again: look at its events (kubectl describe pod)",
    )


def outcome(ctx: Context) -> dict[str, Failure | None]:
    found = pods(ctx)
    hashes = {(p.metadata.labels or {}).get("pod-template-hash") for p in found}
    key = (ctx.namespace, tuple(sorted(h or "" for h in hashes)))

    def play() -> dict[str, Failure | None]:
        pod = found[0]
        first = stays_up(ctx, pod)
        return {UP: first} if first else {UP: None, HEALS: heals(ctx, pod)}

    return missions.remembered(OUTCOMES, key, REUSE, play)


def up(ctx: Context) -> Failure | None:
    return outcome(ctx)[UP]


def heals_a_hang(ctx: Context) -> Failure | None:
    results = outcome(ctx)
    if HEALS not in results:
        return Failure("search does not stay up yet", "fix the step before this one first")
    return results[HEALS]


SET_UP = Criterion(f"The Deployment {NAME} and its Service are there", set_up)
REPLICA = Criterion(f"{NAME} still asks for its replica", keeps_replica, needs=(SET_UP,))
RUNNING = Criterion(f"The pod of {NAME} runs and is Ready", pod_runs, needs=(REPLICA,))
CLIENT_READY = Criterion(f"The checker's client pod {CLIENT} runs", client_ready, needs=(RUNNING,))
UP_CRITERION = Criterion(
    f"It runs {HOLD} s without a restart, and requests to http://{NAME}/ are answered {LIVE!r}",
    up,
    needs=(CLIENT_READY,),
)
HEALS_CRITERION = Criterion(
    f"When the server hangs, the kubelet restarts it within {HANG_LIMIT} s, and it is Ready again",
    heals_a_hang,
    needs=(UP_CRITERION,),
)

CHECKER = Checker(
    "Mission: the search service restarts all day",
    [SET_UP, REPLICA, RUNNING, CLIENT_READY, UP_CRITERION, HEALS_CRITERION],
)
