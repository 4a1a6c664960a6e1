"""Checker: the Deployment ``shop`` rolled back from the broken release 1.2 to release 1.1, history kept.

It judges what the pods run. Once the rollout has settled, every pod of ``shop`` must be a running pod of
release 1.1 as the exercise page defines it: the image, arguments, environment and resources of its
container in the live Pod object, and the environment read inside the container (``kubectl exec ... --
env``). The Deployment's own fields only explain a failure (paused, scaled, at which revision).
"""

import shlex
from typing import Any

from threeplanes.checking import Checker, Context, Criterion, Failure, criteria
from threeplanes.checking.framework import remembered
from threeplanes.errors import LabError, WaitTimeout
from threeplanes.kit.kubectl import kubectl
from threeplanes.kit.wait import is_ready, named, rollout_complete, rollout_state, wait_for
from threeplanes.versions import pinned

NAME = "shop"
REPLICAS = 4
GOOD, BROKEN = "1.1", "1.2"
REVISION = "deployment.kubernetes.io/revision"
SETTLE_TIMEOUT = 30
# Release 1.1 as the exercise page defines it: what its container runs.
RELEASE_1_1 = {
    "image": pinned().images["web"],
    "args": ["netexec"],
    "env": {"APP_VERSION": GOOD},
    "requests": {"cpu": "50m", "memory": "128Mi"},
    "limits": {},
}
# Variables some release sets: inside the container, each must have release 1.1's value, or be unset.
RELEASE_VARIABLES = ("APP_VERSION", "CHECKOUT")
WAITS: dict = {}  # the rollout waited for, kept a few seconds: the checker's second look does not wait again
READS: dict = {}  # what the containers showed, kept a few seconds: the checker's second look does not exec again


def deployment(ctx: Context):
    return criteria.deployment(ctx, NAME)


def revision(obj) -> int:
    return int((obj.metadata.annotations or {}).get(REVISION, 0))


def replicasets(ctx: Context) -> list:
    """The ReplicaSets the Deployment owns (older ones of a deleted Deployment do not count)."""
    uid = deployment(ctx).metadata.uid
    found = ctx.cluster.apps.list_namespaced_replica_set(ctx.namespace).items
    return [rs for rs in found if any(o.uid == uid for o in rs.metadata.owner_references or [])]


def runs(container: Any) -> dict:
    """What a container (of a Pod or of a pod template) runs, in the form of ``RELEASE_1_1``."""
    resources = container.resources
    return {
        "image": container.image,
        "args": list(container.args or []),
        "env": {e.name: e.value if e.value_from is None else "(from a reference)" for e in container.env or []},
        "requests": dict((resources and resources.requests) or {}),
        "limits": dict((resources and resources.limits) or {}),
    }


def differences(seen: dict) -> list[str]:
    """How what a container runs differs from release 1.1, in words."""
    found = []
    for key in ("image", "args"):
        if seen[key] != RELEASE_1_1[key]:
            found.append(f"{key} {seen[key]} (release {GOOD}: {RELEASE_1_1[key]})")
    for key in ("env", "requests", "limits"):
        want, got = RELEASE_1_1[key], seen[key]
        for name in sorted(set(want) | set(got)):
            if want.get(name) != got.get(name):
                what = "unset" if name not in got else f"{name}={got[name]}"
                found.append(f"{key} {what} (release {GOOD}: {'unset' if name not in want else want[name]})")
    return found


def is_broken(seen: dict) -> bool:
    return seen["env"].get("APP_VERSION") == BROKEN or seen["requests"].get("memory") == "512Gi"


def undo_command(ctx: Context) -> str:
    """The rollback that leads to release 1.1 from where the reader is: to its revision when one holds it."""
    good = sorted(revision(rs) for rs in replicasets(ctx) if not differences(runs(rs.spec.template.spec.containers[0])))
    where = f" --to-revision={good[-1]}" if good else " --to-revision=<the revision of release 1.1>"
    resume = (
        f"kubectl rollout resume deployment/{NAME} -n {ctx.namespace}, then " if deployment(ctx).spec.paused else ""
    )
    return f"{resume}kubectl rollout undo deployment/{NAME}{where} -n {ctx.namespace}"


def pods(ctx: Context) -> list:
    """The pods of shop that are not on their way out, each with what its first container runs."""
    return [(pod, runs(pod.spec.containers[0])) for pod in criteria.deployment_pods(ctx, NAME)]


def exists(ctx: Context) -> Failure | None:
    if deployment(ctx) is None:
        return Failure(
            f"no Deployment named {NAME} in {ctx.namespace}",
            f"run the setup for your namespace: .venv/bin/threeplanes exercise setup f3-rollouts -n {ctx.namespace}",
        )
    return None


def history_kept(ctx: Context) -> Failure | None:
    limit = deployment(ctx).spec.revision_history_limit
    if limit is not None and limit < 2:
        return Failure(
            f"revisionHistoryLimit is {limit}: the Deployment controller keeps "
            f"{'no old ReplicaSet' if limit == 0 else 'one old ReplicaSet'} and deletes the others, and with them "
            "the revisions kubectl rollout history lists",
            "leave revisionHistoryLimit at its default (10); run the setup again to get the history back, then "
            f"roll back with kubectl rollout undo deployment/{NAME}",
        )
    current, kept = revision(deployment(ctx)), len(replicasets(ctx))
    if current < 3 or kept < 3:
        return Failure(
            f"the Deployment is at revision {current} and owns {kept} ReplicaSet(s): it was created anew, "
            "so the revisions of releases 1.0, 1.1 and 1.2 are gone",
            "a rollback keeps the history; run the setup again to start over, then roll back with "
            f"kubectl rollout undo deployment/{NAME} instead of deleting the Deployment",
        )
    return None


def settled(found: Any) -> bool:
    """The rollout has come to rest: finished, paused, or stuck past its progress deadline."""
    if (found.status.observed_generation or 0) < found.metadata.generation:
        return False
    progressing = next((c for c in found.status.conditions or [] if c.type == "Progressing"), None)
    stuck = progressing is not None and progressing.reason == "ProgressDeadlineExceeded"
    return bool(found.spec.paused) or stuck or rollout_complete(found)


def rollout_settled(ctx: Context) -> Failure | None:
    """Wait for the rollout to come to rest; a wait that ran out is not waited again by the second look."""
    found = deployment(ctx)
    key = (ctx.namespace, found.metadata.uid, found.metadata.generation)
    return remembered(WAITS, key, 10, lambda: wait_to_settle(ctx))


def wait_to_settle(ctx: Context) -> Failure | None:
    try:
        wait_for(
            ctx.cluster.apps.list_namespaced_deployment,
            lambda found: bool(found) and settled(found[0]),
            what=f"the rollout of Deployment {NAME} to finish, pause or pass its progress deadline",
            describe=lambda found: rollout_state(found[0]) if found else "no Deployment",
            timeout=SETTLE_TIMEOUT,
            namespace=ctx.namespace,
            **named(NAME),
        )
    except WaitTimeout as error:
        return Failure(
            str(error), f"wait for the rollout to finish: kubectl rollout status deployment/{NAME} -n {ctx.namespace}"
        )
    return None


def no_broken_pod(ctx: Context) -> Failure | None:
    broken = [(pod, seen) for pod, seen in pods(ctx) if is_broken(seen)]
    if not broken:
        return None
    running = sum(pod.status.phase == "Running" for pod, _ in broken)
    paused = deployment(ctx).spec.paused
    paused = " (and the rollout is paused: a paused Deployment cannot be rolled back)" if paused else ""
    return Failure(
        f"{len(broken)} pod(s) of release {BROKEN} ({running} running, {len(broken) - running} waiting): "
        f"{broken[0][0].metadata.name} runs {', '.join(differences(broken[0][1]))}{paused}",
        f"roll back to release {GOOD}: {undo_command(ctx)}",
    )


def inside(ctx: Context, pod: Any) -> dict[str, str | None]:
    """The release's variables as the container's environment holds them (None: unset)."""
    command = f"exec -n {ctx.namespace} {pod.metadata.name} -c {pod.spec.containers[0].name} -- env"
    output = kubectl(command, ctx.cluster, show=False, timeout=20)
    values = dict(line.partition("=")[::2] for line in output.splitlines() if "=" in line)
    return {name: values.get(name) for name in RELEASE_VARIABLES}


def read_inside(ctx: Context, running: list) -> list[tuple[Any, dict]] | Failure:
    """What each running pod's container holds, read once for both looks while the pods stay the same."""
    key = (ctx.namespace, tuple(sorted(pod.metadata.uid for pod in running)))

    def play() -> list[tuple[Any, dict]] | Failure:
        try:
            return [(pod, inside(ctx, pod)) for pod in running]
        except LabError as error:
            return Failure(
                f"kubectl exec into a pod of {NAME} failed: {' '.join(str(error).split())[:300]}",
                f"look at the pods: kubectl get pods -n {ctx.namespace} -l app={NAME}",
            )

    return remembered(READS, key, 10, play)


def runs_release_1_1(ctx: Context) -> Failure | None:
    found, all_pods = deployment(ctx), pods(ctx)
    running = [pod for pod, _ in all_pods if pod.status.phase == "Running" and is_ready(pod)]
    other = [(pod, diff) for pod, seen in all_pods if (diff := differences(seen))]
    if other:
        pod, diff = other[0]
        version = runs(pod.spec.containers[0])["env"].get("APP_VERSION")
        too_far = ": you rolled back one release too far" if version == "1.0" else ""
        return Failure(
            f"{len(other)} pod(s) do not run release {GOOD}: {pod.metadata.name} runs {', '.join(diff)}{too_far}",
            f"release {GOOD} is a whole pod template, not one value: kubectl rollout history deployment/{NAME} "
            f"lists the revisions, and one of them is release {GOOD}: {undo_command(ctx)}",
        )
    if len(running) != REPLICAS or len(all_pods) != REPLICAS:
        saw = f"{len(running)} of {REPLICAS} pods of release {GOOD} run ({len(all_pods)} pods in all)"
        if found.spec.replicas != REPLICAS:
            return Failure(
                f"{saw}; spec.replicas is {found.spec.replicas}",
                f"scaling hides a broken release but does not bring the good one back; ask for {REPLICAS} again: "
                f"kubectl scale deployment/{NAME} --replicas={REPLICAS} -n {ctx.namespace}",
            )
        if found.spec.paused:
            resume = f"kubectl rollout resume deployment/{NAME} -n {ctx.namespace}"
            return Failure(f"{saw}; the rollout is paused", resume)
        return Failure(saw, f"wait for the rollout: kubectl rollout status deployment/{NAME} -n {ctx.namespace}")
    seen = read_inside(ctx, running)
    if isinstance(seen, Failure):
        return seen
    want = {name: RELEASE_1_1["env"].get(name) for name in RELEASE_VARIABLES}
    wrong = [(pod, values) for pod, values in seen if values != want]
    if wrong:
        pod, values = wrong[0]
        shown = ", ".join(f"{k}={'(unset)' if v is None else v}" for k, v in values.items())
        return Failure(
            f"inside pod {pod.metadata.name}, env shows {shown}, not release {GOOD}'s values",
            f"compare with kubectl exec -n {ctx.namespace} {shlex.quote(pod.metadata.name)} -- env; "
            f"roll back: {undo_command(ctx)}",
        )
    return None


EXISTS = Criterion("The Deployment shop from the setup exists", exists)
HISTORY = Criterion(
    "Its revision history is kept (it was not deleted and created again, nor its old ReplicaSets removed)",
    history_kept,
    needs=(EXISTS,),
)
SETTLED = Criterion(f"Its rollout has settled (waited up to {SETTLE_TIMEOUT} s)", rollout_settled, needs=(EXISTS,))
NO_BROKEN = Criterion("No pod of the broken release 1.2 is left, running or waiting", no_broken_pod, needs=(SETTLED,))
GOOD_PODS = Criterion(
    "4 pods run release 1.1: its image, arguments, environment (also as read inside) and resources",
    runs_release_1_1,
    needs=(NO_BROKEN,),
)

CHECKER = Checker("Roll a broken release back", [EXISTS, HISTORY, SETTLED, NO_BROKEN, GOOD_PODS])
