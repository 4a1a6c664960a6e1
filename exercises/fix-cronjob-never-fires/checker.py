"""Checker of the fix-cronjob-never-fires mission: the report is made every night at 02:00, Paris time.

Two things make a nightly report: the CronJob fires when the page says, and what it fires makes the
report. The first cannot be waited for in a check, so the checker computes it as the CronJob
controller does: from the reader's ``schedule``, ``timeZone`` and ``suspend``, the next ``COUNT``
fire times (a year of nights, across both changes of daylight saving time), which must be those of
``0 2 * * *`` in Europe/Paris (``cron.py``, the controller's reading of a schedule). The second it
plays: it makes a Job from the CronJob's template, as ``kubectl create job --from=cronjob/...`` does,
waits for it to complete on the real node and reads the report in its log; then deletes it. A Job
made by hand is one report, once: the checker says so when it finds one beside a CronJob that
still cannot fire. The Job is played once per version of the CronJob (its resourceVersion).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from threeplanes.checking import Checker, Context, Criterion, Failure, missions
from threeplanes.errors import LabError
from threeplanes.kit.pods import pod_log
from threeplanes.kit.wait import job_condition, wait_for_job

here = Path(__file__).parent
setup = missions.load_part(here, "setup")
cron = missions.load_part(here, "cron")

NAME = setup.NAME
SETUP = ".venv/bin/threeplanes exercise setup fix-cronjob-never-fires -n {namespace}"
COUNT = 366  # a year of nights
SHOWN = 3
REUSE = 90
OUTCOMES: dict[tuple, tuple[float, Failure | None]] = {}
PARIS = ZoneInfo(setup.ZONE)
MANUAL = "cronjob.kubernetes.io/instantiate"  # kubectl's annotation on a Job it made from a CronJob
BY_CHECKER = "threeplanes.io/made-by-checker"


def cron_job(ctx: Context) -> Any:
    if "cron" not in ctx.notes:
        ctx.notes["cron"] = ctx.get(ctx.cluster.batch.read_namespaced_cron_job, NAME, ctx.namespace)
    return ctx.notes["cron"]


def paris(when: datetime) -> str:
    return when.astimezone(PARIS).strftime("%a %d %b %H:%M")


def by_hand(ctx: Context) -> list[str]:
    """Jobs made by hand from the CronJob (kubectl's annotation), not by the checker."""
    jobs = ctx.cluster.batch.list_namespaced_job(ctx.namespace).items
    return [
        j.metadata.name
        for j in jobs
        if (j.metadata.annotations or {}).get(MANUAL) == "manual" and BY_CHECKER not in (j.metadata.labels or {})
    ]


# --- the criteria --------------------------------------------------------------------------------


def set_up(ctx: Context) -> Failure | None:
    if cron_job(ctx) is None:
        return missions.not_set_up(f"CronJob {NAME}", SETUP.format(namespace=ctx.namespace))
    return None


def once_only(ctx: Context) -> str:
    made = by_hand(ctx)
    if not made:
        return ""
    return (
        f" A Job made by hand ({', '.join(made)}) is one report, once: the next night nothing runs again. "
        "The cure is in the CronJob"
    )


def fires_nightly(ctx: Context) -> Failure | None:
    spec = cron_job(ctx).spec
    if spec.suspend:
        return Failure(
            f"CronJob {NAME} would not fire at all in the coming nights",
            "the CronJob controller makes no Job for this CronJob, whatever its schedule: look at its whole spec "
            f"(kubectl describe cronjob {NAME} -n {ctx.namespace}), not only the schedule." + once_only(ctx),
        )
    now = datetime.now(UTC)
    wanted = cron.fire_times(setup.SCHEDULE, setup.ZONE, now, COUNT)
    try:
        found = cron.fire_times(spec.schedule, spec.time_zone, now, COUNT)
    except cron.ScheduleError as error:
        return Failure(f"the schedule {spec.schedule!r} could not be read: {error}", "write it in five fields")
    if found == wanted:
        return None
    shown = ", ".join(paris(t) for t in found[:SHOWN]) or "never"
    zone = f"timeZone {spec.time_zone}" if spec.time_zone else "no timeZone (the controller's own zone, UTC here)"
    saw = f"with schedule {spec.schedule!r} and {zone}, the next runs in Paris time would be: {shown}"
    first = next((i for i, (a, b) in enumerate(zip(found, wanted, strict=False)) if a != b), min(len(found), COUNT))
    if first >= SHOWN and first < len(found):
        saw += f"; the {first + 1}th differs: {paris(found[first])}, not {paris(wanted[first])}"
    if {t.astimezone(PARIS).strftime("%H:%M") for t in found[:SHOWN]} == {"02:00"}:
        hint = "the time of day is right for now, but not all year: "
    elif found and all(t.strftime("%H:%M") == "02:00" for t in found[:SHOWN]):
        hint = "that is 02:00 UTC, not 02:00 in Paris: "
    else:
        hint = ""
    return Failure(
        saw,
        hint + f"the report must run every night at 02:00 {setup.ZONE}. Read the schedule's five fields one by one, "
        "and the zone it is read in (a schedule without timeZone is read in the controller's own zone)."
        + once_only(ctx),
    )


def job_from(cron_job: Any, name: str) -> dict:
    """A Job from the CronJob's template, as ``kubectl create job --from=cronjob/...`` makes it."""
    template = cron_job.spec.job_template
    labels = {**((template.metadata and template.metadata.labels) or {}), BY_CHECKER: "true"}
    owner = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "name": cron_job.metadata.name,
        "uid": cron_job.metadata.uid,
        "controller": True,
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": name,
            "labels": labels,
            "annotations": {MANUAL: "manual"},
            "ownerReferences": [owner],
        },
        "spec": template.spec,
    }


def play(ctx: Context, found: Any) -> Failure | None:
    name = f"{NAME}-check-{secrets.token_hex(2)}"
    ctx.cluster.batch.create_namespaced_job(ctx.namespace, job_from(found, name))
    try:
        wait_for_job(ctx.cluster, ctx.namespace, name, timeout=60)
    except LabError:
        job = ctx.cluster.batch.read_namespaced_job(name, ctx.namespace)
        return Failure(
            f"a Job made from the CronJob's template ended {job_condition(job) or 'not in 60 s'}",
            f"the report's Job must still work: look at its pod (kubectl describe job {name}, kubectl logs job/{name})",
        )
    pods = ctx.cluster.core.list_namespaced_pod(ctx.namespace, label_selector=f"job-name={name}").items
    log = "".join(pod_log(ctx.cluster, ctx.namespace, p.metadata.name) for p in pods)
    try:
        if setup.REPORT not in log:
            return Failure(
                f"a Job made from the CronJob's template completed, but its log does not say {setup.REPORT!r}",
                "keep the report's container as the setup made it",
            )
        return None
    finally:
        missions.delete_if_there(
            lambda: ctx.cluster.batch.delete_namespaced_job(name, ctx.namespace, propagation_policy="Background")
        )


def reports(ctx: Context) -> Failure | None:
    found = cron_job(ctx)
    key = (ctx.namespace, found.metadata.uid, found.metadata.resource_version)
    return missions.remembered(OUTCOMES, key, REUSE, lambda: play(ctx, found))


SET_UP = Criterion(f"The CronJob {NAME} is there", set_up)
FIRES = Criterion(
    f"It fires every night at 02:00 {setup.ZONE}, for the coming year (not suspended; its schedule in its zone)",
    fires_nightly,
    needs=(SET_UP,),
)
REPORTS = Criterion("A Job made from its template completes, with the report in its log", reports, needs=(FIRES,))

CHECKER = Checker("Mission: the nightly report never ran", [SET_UP, FIRES, REPORTS])
