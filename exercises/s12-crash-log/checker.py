"""Checker: the reader found the log line that explains ledger's crash, and fixed what it names.

The fix is judged by running it: every live pod of the Deployment ``ledger`` must stay Running
and Ready, with no container restarted, for ``HOLD`` seconds on end, then answer ``GET /`` on its
port (through the API server's pod proxy) with the page the application serves once it is up.
The watch is done once per state of the pods (their UIDs and restart counts) and its outcome
serves the framework's second look.

The quoted line (``line`` in the ConfigMap ``answer``) is judged against the record the setup kept
of what the crashed container printed (``kubectl logs --previous``) and of what the restarted one
printed first; the checker adds to it the log of any crashed run it can still read. The line must
be the one a crashed run ended with. Fields (the pod template against the setup's, the containers'
last exit) are read only to say why a pod did not hold.
"""

from __future__ import annotations

import importlib.util
import re
import time
from pathlib import Path
from typing import Any

from kubernetes import client

from threeplanes.checking import Checker, Context, Criterion, Failure
from threeplanes.checking.framework import remembered
from threeplanes.kit.pods import live
from threeplanes.kit.wait import is_ready, rollout_complete

_spec = importlib.util.spec_from_file_location("s12_crash_log_setup", Path(__file__).with_name("setup.py"))
setup = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(setup)

NAME, APP = setup.NAME, setup.APP
ANSWER = "answer"
HOLD = 10  # seconds every pod must stay Running and Ready without a restart
REUSE = 60  # seconds an outcome serves the checker's second look
SETUP = ".venv/bin/threeplanes exercise setup s12-crash-log -n {namespace}"
PREVIOUS = "kubectl logs deployment/ledger -c app --previous -n {namespace}"
# Fields that decide when and how the kubelet restarts or probes a container, not why it exits.
RESTART_FIELDS = {
    "livenessProbe",
    "readinessProbe",
    "startupProbe",
    "restartPolicy",
    "restartPolicyRules",
    "terminationGracePeriodSeconds",
    "lifecycle",
}
HASH = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)\s+")


def ledger(ctx: Context) -> Any | None:
    return ctx.get(ctx.cluster.apps.read_namespaced_deployment, NAME, ctx.namespace)


def pods(ctx: Context) -> list[Any]:
    return live(ctx.cluster.core.list_namespaced_pod(ctx.namespace, label_selector=f"app={NAME}").items)


def record_of(ctx: Context) -> dict[str, Any] | None:
    """The setup's record, with the crashed runs the checker can still read added to it."""
    record = setup.read_record(ctx.namespace)
    if record is None:
        return None
    added = False
    for pod in pods(ctx):
        added = setup.keep_crash(ctx.cluster, ctx.namespace, pod, record) or added
    if added:
        setup.write_record(ctx.namespace, record)
    return record


# --- the Deployment and the record -------------------------------------------------------------


def set_up(ctx: Context) -> Failure | None:
    if ledger(ctx) is None:
        return Failure(
            "no Deployment named ledger in the namespace",
            f"run the exercise's setup first: {SETUP.format(namespace=ctx.namespace)}",
        )
    if record_of(ctx) is None:
        return Failure(
            f"no record of ledger's crash on this machine (the setup keeps it in {setup.record_path(ctx.namespace)})",
            f"run the setup again, on this machine, to start over: {SETUP.format(namespace=ctx.namespace)}",
        )
    return None


# --- the fix, judged by running ------------------------------------------------------------------


def restarts(pod: Any) -> tuple:
    statuses = [*(pod.status.init_container_statuses or []), *(pod.status.container_statuses or [])]
    return tuple(sorted((s.name, s.restart_count) for s in statuses))


def state_key(found: list[Any]) -> tuple:
    return tuple(sorted((p.metadata.uid, restarts(p)) for p in found))


def answers(ctx: Context, pod: Any) -> str | None:
    """What the pod answers to ``GET /`` on its application's port, through the API server; None if nothing."""
    app = next(c for c in pod.spec.containers if c.name == APP)
    port = next((p.container_port for p in app.ports or []), None)
    if port is None:
        return None
    try:
        reply = ctx.cluster.core.connect_get_namespaced_pod_proxy_with_path(
            f"{pod.metadata.name}:{port}", ctx.namespace, "", _preload_content=False, _request_timeout=10
        )
        return reply.data.decode(errors="replace").strip()
    except (client.ApiException, OSError):
        return None


def changed_fields(before: dict, after: dict) -> set[str]:
    """The fields of the pod spec, and of its containers by name, that differ between two specs."""
    changed = {
        k for k in (set(before) | set(after)) - {"containers", "initContainers"} if before.get(k) != after.get(k)
    }
    for kind in ("containers", "initContainers"):
        old = {c["name"]: c for c in before.get(kind) or []}
        new = {c["name"]: c for c in after.get(kind) or []}
        if set(old) != set(new):
            changed.add(kind)
            continue
        for name, container in new.items():
            changed |= {k for k in set(container) | set(old[name]) if container.get(k) != old[name].get(k)}
    return changed


def last_exit(pod: Any) -> tuple[str, Any] | None:
    """The container of ``pod`` that ended last, and how (its ``lastState.terminated`` or ``state.terminated``)."""
    statuses = [*(pod.status.init_container_statuses or []), *(pod.status.container_statuses or [])]
    ended = []
    for s in statuses:
        for state in (s.state, s.last_state):
            if state and state.terminated and state.terminated.exit_code != 0:
                ended.append((state.terminated.finished_at or 0, s.name, state.terminated))
    if not ended:
        return None
    _, name, terminated = max(ended, key=lambda e: str(e[0]))
    return name, terminated


def newest_hash(ctx: Context) -> str | None:
    """The pod-template-hash of ledger's newest ReplicaSet (its highest revision)."""
    sets = ctx.cluster.apps.list_namespaced_replica_set(ctx.namespace, label_selector=f"app={NAME}").items
    ours = [
        r for r in sets if any(o.kind == "Deployment" and o.name == NAME for o in r.metadata.owner_references or [])
    ]
    if not ours:
        return None
    newest = max(ours, key=lambda r: int((r.metadata.annotations or {}).get(REVISION, "0")))
    return (newest.metadata.labels or {}).get(HASH)


def why_not_held(ctx: Context, found: list[Any], seen: str) -> Failure:
    """Explain, from the pods' statuses and the template against the setup's, why the pods did not hold."""
    deployment = ledger(ctx)
    if not found:
        replicas = deployment.spec.replicas
        return Failure(
            f"ledger has no pod ({replicas} replicas asked)",
            f"the fix must keep ledger running: kubectl scale deployment/ledger --replicas=1 -n {ctx.namespace}",
        )
    newest = newest_hash(ctx)
    crashed = [(p, ended) for p in found if (ended := last_exit(p))]
    if newest and not rollout_complete(deployment):
        # Mid-rollout, the old pods still crash: only the new template's pods tell about the fix.
        crashed = [(p, e) for p, e in crashed if (p.metadata.labels or {}).get(HASH) == newest]
    if not crashed:
        return Failure(
            seen,
            "its pod is not Ready yet (it may be starting, or a rollout under way): check again in a few seconds",
        )
    pod, (container, ended) = crashed[0]
    saw = f"{seen}: container {container} of {pod.metadata.name} ended with exit code {ended.exit_code}"
    record = setup.read_record(ctx.namespace) or {}
    before = record.get("template") or {}
    now = setup.template_of(ctx.cluster, deployment)
    changed = changed_fields(before, now) if before else set()
    previous = PREVIOUS.format(namespace=ctx.namespace)
    if before and not changed:
        if pod.metadata.uid != record.get("pod"):
            return Failure(
                f"{saw}, in a new pod made from the setup's unchanged template",
                "deleting the pod (or restarting the rollout) changes nothing: its ReplicaSet makes a new one "
                "from the same template, which crashes the same way; fix in the Deployment what the crashed "
                f"container's log names ({previous})",
            )
        return Failure(
            f"{saw}, and the kubelet keeps restarting it (CrashLoopBackOff)",
            f"read why it ended: {previous}, then fix what that line names in the Deployment",
        )
    if changed and changed <= RESTART_FIELDS:
        return Failure(
            f"{saw}; you changed only {', '.join(sorted(changed))}",
            "those decide when and how the kubelet probes or restarts a container, not why the program exits: "
            f"the program ends by itself; fix what the crashed container's last line names ({previous})",
        )
    return Failure(
        f"{saw}, after your change to {', '.join(sorted(changed)) or 'the Deployment'}",
        f"the cause is still there: read the crashed container's log again ({previous}) and fix what its last "
        "line names",
    )


_outcomes: dict[tuple, tuple[float, Failure | None]] = {}


def watch(ctx: Context) -> Failure | None:
    """Every live pod Running and Ready, the same pods with the same restart counts, for ``HOLD`` seconds."""
    start = pods(ctx)
    deadline = time.monotonic() + HOLD
    found = start
    while True:
        not_ready = [p.metadata.name for p in found if not is_ready(p)]
        if not found or not_ready or state_key(found) != state_key(start):
            what = f"pod {', '.join(not_ready)} not Ready" if not_ready else "ledger's pods changed or restarted"
            return why_not_held(ctx, found, what if found else "no pod")
        if time.monotonic() >= deadline:
            break
        time.sleep(1)
        found = pods(ctx)
    for pod in found:
        said = answers(ctx, pod)
        if said != "ledger ok":
            return Failure(
                f"pod {pod.metadata.name} is Ready, and GET / on its application's port answered {said!r}",
                "the application answers 'ledger ok' once it serves: keep its port as the setup made it",
            )
    return None


def runs(ctx: Context) -> Failure | None:
    key = (ctx.namespace, state_key(pods(ctx)))
    return remembered(_outcomes, key, REUSE, lambda: watch(ctx))


# --- the answer ----------------------------------------------------------------------------------


def answer(ctx: Context) -> Any | None:
    return ctx.get(ctx.cluster.core.read_namespaced_config_map, ANSWER, ctx.namespace)


def answered(ctx: Context) -> Failure | None:
    found = answer(ctx)
    create = (
        f"kubectl create configmap answer -n {ctx.namespace} --from-literal=line='<the line, exactly as printed>' "
        "--from-literal=fix='<what you changed>'"
    )
    if found is None:
        return Failure("no ConfigMap named answer in the namespace", f"write your answer: {create}")
    data = found.data or {}
    missing = [key for key in ("line", "fix") if not str(data.get(key) or "").strip()]
    if missing:
        return Failure(f"the ConfigMap answer has no {' and no '.join(missing)}", f"give it both keys: {create}")
    return None


def quoted(text: str) -> str:
    """The quoted line without surrounding blanks or the time ``kubectl logs --timestamps`` puts in front."""
    line = text.strip().splitlines()[0].strip() if text.strip() else ""
    return TIMESTAMP.sub("", line)


def names_the_cause(ctx: Context) -> Failure | None:
    record = record_of(ctx) or {"crashed": {}, "current": []}
    line = quoted(answer(ctx).data["line"])
    runs_ = [lines for lines in record["crashed"].values() if lines]
    causes = {lines[-1] for lines in runs_}
    printed = {text for lines in runs_ for text in lines}
    previous = PREVIOUS.format(namespace=ctx.namespace)
    if line in causes:
        return None
    if "crashloopbackoff" in line.lower().replace(" ", ""):
        return Failure(
            f"your line reads {line!r}",
            "CrashLoopBackOff is the pod's status, the kubelet waiting before it restarts the container again: it "
            f"says that the container crashes, not why; quote the line the crashed container printed ({previous})",
        )
    if line.startswith(setup.NO_LOG):
        return Failure(
            f"your line {line[:60]!r}... is the kubelet's, not the container's",
            "the kubelet says so when the container it was asked for was removed (a dead container goes when the "
            f"next run crashes): ask again, {previous}",
        )
    # Any line of the running container's log: the crashed runs the setup kept may be restarts already (a busy
    # node restarts it more than once before the setup looks), so they print its warnings too.
    if line in record["current"]:
        return Failure(
            f"your line {line!r} is from the log of the container running now, printed as it restarted",
            "plain kubectl logs shows the restarted container, which has not crashed yet and warns about the run "
            f"before; the crashed run's own log says why it ended: {previous}",
        )
    if line in printed:
        return Failure(
            f"the container printed {line!r}, but not as the line it ended with",
            f"that line is printed on the way, by runs that then go on; read the whole log of the crashed run "
            f"({previous}) and quote the line that says why it stopped",
        )
    if line and any(line in cause for cause in causes):
        return Failure(
            f"your line {line!r} is part of a line the crashed container printed",
            "quote the whole line, exactly as kubectl logs --previous prints it",
        )
    return Failure(
        f"no line the crashed container printed reads {line!r}",
        f"copy the line exactly, from {previous} (the checker compares it with the log it kept)",
    )


SET_UP = Criterion("The Deployment ledger from the setup is there, its crash on record", set_up)
RUNS = Criterion(
    f"ledger runs: its pods Running and Ready for {HOLD} s without a restart, answering on their port",
    runs,
    needs=(SET_UP,),
)
ANSWERED = Criterion("A ConfigMap answer holds the line you found (line) and your fix (fix)", answered)
NAMES_THE_CAUSE = Criterion(
    "The line is the one the crashed container ended with", names_the_cause, needs=(SET_UP, ANSWERED)
)

CHECKER = Checker("Find the log line that explains a crash, and fix it", [SET_UP, RUNS, ANSWERED, NAMES_THE_CAUSE])
