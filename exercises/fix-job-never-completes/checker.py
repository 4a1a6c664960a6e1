"""Checker of the fix-job-never-completes mission: November's invoices sent, by a Job that completed.

The scenario: the checker waits for the run, as the accountants do. It watches the Job ``invoices``
for up to ``RUN_LIMIT`` s, until it is ``Complete``, or ``Failed``, or one of its pods' tries has
failed (a failed pod, or a container that ended in error and is started again in its pod): a try
that failed once fails again with the same template. Then it reads the log of the pod that
succeeded, which must say the invoices were sent for November 2026. The Job's fields and the failed
pods' logs are read only to say why a step failed.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from kubernetes import client

from threeplanes.checking import Checker, Context, Criterion, Failure, missions
from threeplanes.kit.pods import live, pod_log
from threeplanes.kit.wait import job_condition

setup = missions.load_part(Path(__file__).parent, "setup")

NAME, SCRIPTS, MONTH = setup.NAME, setup.SCRIPTS, setup.MONTH
SETUP = ".venv/bin/threeplanes exercise setup fix-job-never-completes -n {namespace}"
RUN_LIMIT = 40
DONE = setup.done_line()
SENT = re.compile(r"^sent (\d+) invoices for (\S+)$", re.MULTILINE)


def job(ctx: Context) -> Any | None:
    if "job" not in ctx.notes:
        ctx.notes["job"] = ctx.get(ctx.cluster.batch.read_namespaced_job, NAME, ctx.namespace)
    return ctx.notes["job"]


def job_pods(ctx: Context, found: Any) -> list[Any]:
    selector = f"batch.kubernetes.io/controller-uid={found.metadata.uid}"
    return ctx.cluster.core.list_namespaced_pod(ctx.namespace, label_selector=selector).items


def ended_in_error(pod: Any) -> bool:
    """A try that failed: the pod Failed, or its container ended in error (and is started again in it)."""
    if pod.status.phase == "Failed":
        return True
    for s in pod.status.container_statuses or []:
        for state in (s.state, s.last_state):
            if state and state.terminated and state.terminated.exit_code:
                return True
    return False


def first_words(ctx: Context, pod: Any) -> str:
    try:
        lines = pod_log(ctx.cluster, ctx.namespace, pod.metadata.name).strip().splitlines()
    except client.ApiException:
        return "(no log)"
    return lines[-1] if lines else "(an empty log)"


# --- the criteria --------------------------------------------------------------------------------


def set_up(ctx: Context) -> Failure | None:
    if ctx.get(ctx.cluster.core.read_namespaced_config_map, SCRIPTS, ctx.namespace) is None:
        return missions.not_set_up(f"ConfigMap {SCRIPTS}", SETUP.format(namespace=ctx.namespace))
    return None


def job_there(ctx: Context) -> Failure | None:
    if job(ctx) is None:
        return Failure(
            f"no Job {NAME} in the namespace",
            "deleting the Job ends the failures and sends no invoices. Run the setup again "
            f"({SETUP.format(namespace=ctx.namespace)}) and make the run succeed",
        )
    return None


def watch_run(ctx: Context) -> tuple[Any, list[Any]]:
    """The Job and its pods once it has finished or a try has failed, or after ``RUN_LIMIT`` s."""
    deadline = time.monotonic() + RUN_LIMIT
    while True:
        found = ctx.cluster.batch.read_namespaced_job(NAME, ctx.namespace)
        pods = job_pods(ctx, found)
        if job_condition(found) or any(ended_in_error(p) for p in pods) or time.monotonic() > deadline:
            return found, pods
        time.sleep(0.5)


def completes(ctx: Context) -> Failure | None:
    found, pods = watch_run(ctx)
    ctx.notes["pods"] = pods
    outcome = job_condition(found)
    if outcome == "Complete":
        return None
    st = found.status
    counts = f"{st.succeeded or 0} succeeded, {st.failed or 0} failed, {st.active or 0} running"
    failing = sorted((p for p in pods if ended_in_error(p)), key=lambda p: p.metadata.creation_timestamp)
    if not failing:
        return Failure(
            f"Job {NAME} has not finished after {RUN_LIMIT} s ({counts})",
            f"its pod has not run yet: kubectl get pods -n {ctx.namespace} -l batch.kubernetes.io/job-name={NAME}",
        )
    saw = f"Job {NAME}: {outcome or 'not finished'} ({counts}); a failed try logged: {first_words(ctx, failing[-1])}"
    template = found.spec.template.spec
    restarted = any(s.restart_count for p in failing for s in p.status.container_statuses or [])
    if template.restart_policy == "OnFailure" and (restarted or not st.failed):
        return Failure(
            saw,
            "the container fails and the kubelet starts it again in the same pod (restartPolicy: OnFailure): "
            "the same arguments fail the same way on every try. Fix what makes the run fail",
        )
    if (found.spec.backoff_limit or 0) > setup.BACKOFF_LIMIT:
        return Failure(
            saw,
            f"more tries (backoffLimit {found.spec.backoff_limit}) run the same pod template, which fails the same "
            "way every time: find out why its pods fail, and fix that",
        )
    gave_up = "the Job gave up (BackoffLimitExceeded) after its tries failed; " if outcome == "Failed" else ""
    return Failure(saw, f"{gave_up}find out why its pods fail before changing anything")


def invoices_sent(ctx: Context) -> Failure | None:
    done = [p for p in live(ctx.notes.get("pods") or []) if p.status.phase == "Succeeded"]
    logs = [pod_log(ctx.cluster, ctx.namespace, p.metadata.name) for p in done]
    if any(DONE in log.splitlines() for log in logs):
        return None
    said = [m.group(0) for log in logs for m in SENT.finditer(log)]
    if said:
        return Failure(
            f"the run logged {said[-1]!r}",
            f"the invoices went out, but not for November 2026: the accountants expect {DONE!r}",
        )
    return Failure(
        f"the Job completed, but no pod's log says the invoices were sent (wanted {DONE!r})",
        f"keep the team's script as the setup made it (ConfigMap {SCRIPTS}), and give it what it asks for",
    )


SET_UP = Criterion(f"The team's script, ConfigMap {SCRIPTS}, is there", set_up)
JOB = Criterion(f"The Job {NAME} is there", job_there, needs=(SET_UP,))
COMPLETES = Criterion(f"The Job {NAME} completes", completes, needs=(JOB,))
SENT_CRITERION = Criterion(f"Its log says {DONE!r}", invoices_sent, needs=(COMPLETES,))

CHECKER = Checker("Mission: the monthly invoices were never sent", [SET_UP, JOB, COMPLETES, SENT_CRITERION])
