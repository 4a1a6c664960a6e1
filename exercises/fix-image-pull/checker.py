"""Checker of the fix-image-pull mission: release 3.2 of the catalogue live, served by every replica.

The scenario, from the pod ``catalogue-client`` on the real node: the rollout must be complete and
``REQUESTS`` requests to ``http://catalogue/`` must all be answered ``catalogue 3.2``. A rollback
(``kubectl rollout undo``) also ends the stuck rollout, but the answers then say 3.1: the new
release never shipped. The pods' waiting reasons are read only to say why a step failed. The
requests are sent once per set of templates: the framework's second look reads the same outcome.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from threeplanes.checking import Checker, Context, Criterion, Failure, criteria, missions
from threeplanes.checking.missions import client_runs, settled
from threeplanes.kit.wait import rollout_complete, rollout_state

setup = missions.load_part(Path(__file__).parent, "setup")

NAME, CLIENT, REPLICAS = setup.NAME, setup.CLIENT, setup.REPLICAS
SETUP = ".venv/bin/threeplanes exercise setup fix-image-pull -n {namespace}"
REQUESTS = 12
LIVE = f"catalogue {setup.NEW}"
REUSE = 90
OUTCOMES: dict[tuple, tuple[float, Failure | None]] = {}


def deployment(ctx: Context) -> Any:
    return criteria.deployment(ctx, NAME)


def waiting_reasons(ctx: Context) -> set[str]:
    return {
        s.state.waiting.reason
        for p in criteria.deployment_pods(ctx, NAME)
        for s in p.status.container_statuses or []
        if s.state.waiting is not None and s.state.waiting.reason
    }


def set_up(ctx: Context) -> Failure | None:
    return missions.deployment_and_service_there(ctx, NAME, SETUP)


def keeps_replicas(ctx: Context) -> Failure | None:
    return missions.keeps_replicas(ctx, NAME, REPLICAS, f"the shop needs its {REPLICAS} replicas")


def rolled_out(ctx: Context) -> Failure | None:
    found = deployment(ctx)
    if rollout_complete(found):
        return None
    reasons = waiting_reasons(ctx)
    saw = rollout_state(found) + (f"; pods waiting: {', '.join(sorted(reasons))}" if reasons else "")
    if "ErrImageNeverPull" in reasons:
        return Failure(
            saw,
            "with imagePullPolicy: Never the kubelet uses only an image already on the node, and the node has no "
            "image of that name: the new pods still cannot start. Which image did the team mean for the release?",
        )
    if reasons & set(setup.PULL_FAILED):
        return Failure(
            saw,
            f"the new pods of {NAME} never start, and the old ones keep serving: find out what keeps them from "
            "starting before changing anything",
        )
    return Failure(saw, f"the rollout is under way: kubectl rollout status deployment/{NAME} -n {ctx.namespace}")


def client_ready(ctx: Context) -> Failure | None:
    return client_runs(ctx, CLIENT)


def serves_new_release(ctx: Context) -> Failure | None:
    other, saw = missions.answers_besides(ctx, CLIENT, f"http://{NAME}/", LIVE, REQUESTS)
    if not saw:
        return None
    if any(setup.OLD in a for a in other):
        return Failure(
            saw,
            f"release {setup.NEW} never went live: the pods serve {setup.OLD} (a rollout undo brings the old "
            f"release back, it does not ship the new one). Roll out {setup.NEW} with what kept its pods from "
            "starting fixed",
        )
    return Failure(
        saw,
        f"the pods do not all answer {LIVE!r}: is RELEASE still {setup.NEW}? Look at the Service's endpoints "
        f"(kubectl get endpointslices -n {ctx.namespace})",
    )


def live_release(ctx: Context) -> Failure | None:
    hashes = {(p.metadata.labels or {}).get("pod-template-hash") for p in criteria.deployment_pods(ctx, NAME)}
    key = (ctx.namespace, tuple(sorted(h or "" for h in hashes)))
    return missions.remembered(OUTCOMES, key, REUSE, lambda: settled(lambda: serves_new_release(ctx)))


SET_UP = Criterion(f"The Deployment {NAME} and its Service are there", set_up)
REPLICAS_KEPT = Criterion(f"{NAME} still asks for its {REPLICAS} replicas", keeps_replicas, needs=(SET_UP,))
ROLLED_OUT = Criterion(f"The rollout of {NAME} is complete", rolled_out, needs=(REPLICAS_KEPT,))
CLIENT_READY = Criterion(f"The checker's client pod {CLIENT} runs", client_ready, needs=(ROLLED_OUT,))
LIVE_RELEASE = Criterion(f"Requests to http://{NAME}/ are all answered {LIVE!r}", live_release, needs=(CLIENT_READY,))

CHECKER = Checker(
    "Mission: the new version of the catalogue never went live",
    [SET_UP, REPLICAS_KEPT, ROLLED_OUT, CLIENT_READY, LIVE_RELEASE],
)
