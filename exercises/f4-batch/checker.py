"""Checker: a Job ``report`` of six completions, two at a time, two retries, cleaned up after an hour."""

from threeplanes.checking import Checker, Context, Criterion, Failure

NAME = "report"
COMPLETIONS, PARALLELISM, BACKOFF_LIMIT, TTL = 6, 2, 2, 3600


def job(ctx: Context):
    if "job" not in ctx.notes:
        ctx.notes["job"] = ctx.get(ctx.cluster.batch.read_namespaced_job, NAME, ctx.namespace)
    return ctx.notes["job"]


def exists(ctx: Context) -> Failure | None:
    if job(ctx) is not None:
        return None
    create = "write a manifest with apiVersion: batch/v1, kind: Job, metadata.name: report, and apply it"
    if ctx.get(ctx.cluster.apps.read_namespaced_deployment, NAME, ctx.namespace) is not None:
        return Failure(
            f"{NAME} is a Deployment, not a Job: its pods run for ever and are replaced whenever they end",
            f"work that finishes is a Job: kubectl delete deployment {NAME}, then {create}",
        )
    if ctx.get(ctx.cluster.batch.read_namespaced_cron_job, NAME, ctx.namespace) is not None:
        return Failure(f"{NAME} is a CronJob: it waits for its schedule", f"the report runs once, now: {create}")
    return Failure(f"no Job named {NAME} in {ctx.namespace}", create)


def recreate(field: str) -> str:
    return (
        f"a Job's {field} cannot be changed once it exists: kubectl delete job {NAME}, "
        "fix the manifest, and apply it again"
    )


def six_completions(ctx: Context) -> Failure | None:
    completions = job(ctx).spec.completions
    if completions == COMPLETIONS:
        return None
    if completions is None:
        saw = "completions is not set: the Job is done as soon as any one pod succeeds (a work queue)"
    else:
        saw = f"completions is {completions}: the Job is done after {completions} successful pod(s)"
    return Failure(saw, f"set completions: {COMPLETIONS}; {recreate('completions')}")


def two_at_a_time(ctx: Context) -> Failure | None:
    parallelism = job(ctx).spec.parallelism
    if parallelism == PARALLELISM:
        return None
    return Failure(
        f"parallelism is {parallelism}: up to {parallelism} pod(s) run at once",
        f"set parallelism: {PARALLELISM} in your manifest, then delete the Job and apply it again, so that it runs "
        "two at a time",
    )


def two_retries(ctx: Context) -> Failure | None:
    limit = job(ctx).spec.backoff_limit
    if limit == BACKOFF_LIMIT:
        return None
    return Failure(
        f"backoffLimit is {limit}" + (" (the default)" if limit == 6 else ""),
        f"set backoffLimit: {BACKOFF_LIMIT} in your manifest, so that it gives up after two retries; "
        f"then kubectl delete job {NAME} and apply it again",
    )


def cleans_up(ctx: Context) -> Failure | None:
    ttl = job(ctx).spec.ttl_seconds_after_finished
    if ttl == TTL:
        return None
    saw = "ttlSecondsAfterFinished is not set: the finished Job stays until someone deletes it"
    if ttl is not None:
        saw = f"ttlSecondsAfterFinished is {ttl}"
    return Failure(
        saw,
        f"set ttlSecondsAfterFinished: {TTL} (one hour) in your manifest; then kubectl delete job {NAME} and "
        "apply it again",
    )


def ran_as_written(ctx: Context) -> Failure | None:
    """The run is judged, not only the final spec: a spec changed after the Job was created (its
    ``generation`` went up) may not be the one its pods ran under."""
    found = job(ctx)
    if (found.metadata.generation or 1) == 1:
        return None
    return Failure(
        f"the Job's spec was changed after it was created (generation {found.metadata.generation}): its pods may "
        "have run under the earlier spec, which the cluster no longer shows",
        f"run it as written: kubectl delete job {NAME} -n {ctx.namespace}, then apply your manifest again",
    )


def run_pods(ctx: Context) -> list:
    """The pods this Job made (its controller-uid label), deleted or not yet."""
    selector = f"batch.kubernetes.io/controller-uid={job(ctx).metadata.uid}"
    return ctx.cluster.core.list_namespaced_pod(ctx.namespace, label_selector=selector).items


def completed(ctx: Context) -> Failure | None:
    s = job(ctx).status
    finished = {c.type: c for c in s.conditions or [] if c.status == "True"}
    succeeded_pods = sum(p.status.phase == "Succeeded" for p in run_pods(ctx))
    if "Complete" in finished and s.succeeded == COMPLETIONS == succeeded_pods:
        return None
    saw = f"{s.succeeded or 0} succeeded, {s.failed or 0} failed, {s.active or 0} active"
    if "Failed" in finished:
        reason = finished["Failed"].reason
        return Failure(f"{saw}; the Job failed ({reason})", f"kubectl describe job {NAME} says why")
    if "Complete" in finished:
        return Failure(
            f"{saw}, but {succeeded_pods} of its pods are there, Succeeded",
            f"the checker reads the run from the Job's pods; run it again: kubectl delete job {NAME}, then apply "
            "your manifest again",
        )
    return Failure(saw, f"wait for it: kubectl wait --for=condition=complete job/{NAME} -n {ctx.namespace}")


EXISTS = Criterion("A Job named report exists", exists)
SIX = Criterion("It needs 6 successful pods (completions: 6)", six_completions, needs=(EXISTS,))
TWO_AT_A_TIME = Criterion("It runs at most 2 pods at a time (parallelism: 2)", two_at_a_time, needs=(EXISTS,))
RETRIES = Criterion("It gives up after 2 retries (backoffLimit: 2)", two_retries, needs=(EXISTS,))
CLEANS_UP = Criterion(
    "It is deleted an hour after it finishes (ttlSecondsAfterFinished: 3600)", cleans_up, needs=(EXISTS,)
)
AS_WRITTEN = Criterion(
    "It ran under the spec it has now (not changed after it was created)", ran_as_written, needs=(EXISTS,)
)
COMPLETED = Criterion("It completed: 6 of its pods succeeded", completed, needs=(SIX, AS_WRITTEN))

CHECKER = Checker(
    "Run a report in six parts, two at a time", [EXISTS, SIX, TWO_AT_A_TIME, RETRIES, CLEANS_UP, AS_WRITTEN, COMPLETED]
)
