"""Checker: the Deployment ``shop`` rolled back from the broken release 1.2 to release 1.1, history kept."""

from threeplanes.checking import Checker, Context, Criterion, Failure, criteria

NAME = "shop"
REPLICAS = 4
GOOD, BROKEN = "1.1", "1.2"
REVISION = "deployment.kubernetes.io/revision"


def deployment(ctx: Context):
    return criteria.deployment(ctx, NAME)


def revision(obj) -> int:
    return int((obj.metadata.annotations or {}).get(REVISION, 0))


def replicasets(ctx: Context) -> list:
    """The ReplicaSets the Deployment owns (older ones of a deleted Deployment do not count)."""
    uid = deployment(ctx).metadata.uid
    found = ctx.cluster.apps.list_namespaced_replica_set(ctx.namespace).items
    return [rs for rs in found if any(o.uid == uid for o in rs.metadata.owner_references or [])]


def release(template) -> tuple[str | None, str | None]:
    """The APP_VERSION and the memory request of a pod template's first container."""
    container = template.spec.containers[0]
    version = next((e.value for e in container.env or [] if e.name == "APP_VERSION"), None)
    memory = ((container.resources and container.resources.requests) or {}).get("memory")
    return version, memory


def exists(ctx: Context) -> Failure | None:
    if deployment(ctx) is None:
        return Failure(
            f"no Deployment named {NAME} in {ctx.namespace}",
            f"run the setup for your namespace: .venv/bin/threeplanes exercise setup f3-rollouts -n {ctx.namespace}",
        )
    return None


def history_kept(ctx: Context) -> Failure | None:
    current, kept = revision(deployment(ctx)), len(replicasets(ctx))
    if current < 3 or kept < 3:
        return Failure(
            f"the Deployment is at revision {current} and owns {kept} ReplicaSet(s): it was created anew, "
            "so the revisions of releases 1.0, 1.1 and 1.2 are gone",
            "a rollback keeps the history; run the setup again to start over, then roll back with "
            f"kubectl rollout undo deployment/{NAME} instead of deleting the Deployment",
        )
    return None


def undo_command(ctx: Context) -> str:
    """The rollback that leads to release 1.1 from where the reader is: to its revision when one holds it."""
    good = sorted(revision(rs) for rs in replicasets(ctx) if release(rs.spec.template) == (GOOD, "128Mi"))
    where = f" --to-revision={good[-1]}" if good else " --to-revision=<the revision of release 1.1>"
    resume = (
        f"kubectl rollout resume deployment/{NAME} -n {ctx.namespace}, then " if deployment(ctx).spec.paused else ""
    )
    return f"{resume}kubectl rollout undo deployment/{NAME}{where} -n {ctx.namespace}"


def runs_good_release(ctx: Context) -> Failure | None:
    version, memory = release(deployment(ctx).spec.template)
    if version == GOOD and memory == "128Mi":
        return None
    saw = f"the pod template runs APP_VERSION={version} and requests {memory} of memory"
    paused = (
        " (and the rollout is paused: a paused Deployment cannot be rolled back)" if deployment(ctx).spec.paused else ""
    )
    if version == BROKEN or memory == "512Gi":
        return Failure(
            f"{saw}: that is still release {BROKEN}"
            + (", whose pods fit on no node" if memory == "512Gi" else "")
            + paused,
            f"roll back to release {GOOD}: {undo_command(ctx)}",
        )
    return Failure(
        f"{saw}, not release {GOOD}" + (": you rolled back one release too far" if version == "1.0" else "") + paused,
        f"kubectl rollout history deployment/{NAME} lists the revisions; release {GOOD} is the one to go back to: "
        f"{undo_command(ctx)}",
    )


def asks_for_four(ctx: Context) -> Failure | None:
    replicas = deployment(ctx).spec.replicas
    if replicas != REPLICAS:
        return Failure(
            f"spec.replicas is {replicas}",
            f"scaling hides a broken release but does not bring the good one back; ask for {REPLICAS} again: "
            f"kubectl scale deployment/{NAME} --replicas={REPLICAS} -n {ctx.namespace}",
        )
    return None


def rollout_complete(ctx: Context) -> Failure | None:
    d = deployment(ctx)
    s = d.status
    progressing = next((c for c in s.conditions or [] if c.type == "Progressing"), None)
    counts = (s.updated_replicas or 0, s.available_replicas or 0, s.replicas or 0)
    done = (s.observed_generation or 0) >= d.metadata.generation and counts == (REPLICAS,) * 3
    if done and progressing is not None and progressing.reason == "NewReplicaSetAvailable":
        return None
    saw = f"{counts[0]} updated, {counts[1]} available, {counts[2]} pods in all (want {REPLICAS} of each)"
    if d.spec.paused:
        return Failure(f"{saw}; the rollout is paused", f"kubectl rollout resume deployment/{NAME} -n {ctx.namespace}")
    reason = progressing.reason if progressing is not None else "no Progressing condition yet"
    return Failure(
        f"{saw}; Progressing: {reason}",
        f"wait for the rollout to finish: kubectl rollout status deployment/{NAME} -n {ctx.namespace}",
    )


EXISTS = Criterion("The Deployment shop from the setup exists", exists)
HISTORY = Criterion(
    "Its revision history is kept (it was not deleted and created again)", history_kept, needs=(EXISTS,)
)
GOOD_RELEASE = Criterion(
    "Its pod template is release 1.1 again, not the broken 1.2", runs_good_release, needs=(EXISTS,)
)
FOUR = Criterion("It asks for 4 replicas", asks_for_four, needs=(EXISTS,))
COMPLETE = Criterion(
    "The rollout is complete: 4 pods of the current revision, all available",
    rollout_complete,
    needs=(GOOD_RELEASE, FOUR),
)

CHECKER = Checker("Roll a broken release back", [EXISTS, HISTORY, GOOD_RELEASE, FOUR, COMPLETE])
