"""Checker of a2-container-ready: tally, a program from one server, made a well-behaved workload.

The checker plays the users, with a visitor pod of its own on the real node that asks
``http://tally/`` every quarter of a second and logs what it got (``containerise.visitor_pod``).
The scenario, played once per state of the reader's objects (the framework's second look reads
the same outcome):

1. tally counts visits through its Service (its configuration file read, its clock reached by
   the name ``clock``), within ``ANSWER_S`` seconds;
2. the checker stops tally and clock (their pods deleted), starts tally, and starts the clock once a
   container of tally's pod runs. No request may be answered 503 by a tally that cannot reach its
   clock, and the first visit tally's new pod counts must follow the last one counted before (the
   count is not in the pod). One restart judges both, to keep the check short.

The objects (container states, logs, volumes, Services) are read only to say why a step failed.
"""

from __future__ import annotations

import json
from typing import Any

from threeplanes.barriers import containerise as a2
from threeplanes.checking import Checker, Context, Criterion, Failure
from threeplanes.checking.framework import remembered
from threeplanes.checking.missions import client_runs
from threeplanes.errors import LabError
from threeplanes.kit.control_plane import REAL_NODE_NAME
from threeplanes.kit.effects import poll_until
from threeplanes.kit.pods import now
from threeplanes.kit.wait import unschedulable_message

SETUP = ".venv/bin/threeplanes exercise setup a2-container-ready -n {namespace}"
ANSWER_S = 25  # for a first visit, tally's pod starting included
ONLY_503_S = 12  # tally answers, but only 503, for that long: it does not reach its clock
AGAIN_S = 60  # for three visits in a row after tally, then clock, were started again: two pods to start, and
# with a start guard two Services to follow (the clock's, then tally's) before a visit is counted
REUSE = 120
OUTCOMES: dict[tuple, tuple[float, dict[str, Failure | None]]] = {}
ANSWERS, STATE, ORDER = "answers", "state", "order"


def tally_pods(ctx: Context) -> list[Any]:
    return a2.pods_of(ctx.cluster, ctx.namespace, a2.PROGRAM)


def services(ctx: Context) -> list[str]:
    return sorted(s.metadata.name for s in ctx.cluster.core.list_namespaced_service(ctx.namespace).items)


# --- why tally did not answer: read only once the scenario failed -----------------------------------


def all_logs(ctx: Context, pod: Any) -> str:
    """The logs of every container of ``pod`` (init containers first), current run then the one before."""
    names = [c.name for c in [*(pod.spec.init_containers or []), *pod.spec.containers]]
    return "\n".join(
        a2.container_log(ctx.cluster, ctx.namespace, pod.metadata.name, name, previous=previous)
        for name in names
        for previous in (False, True)
    )


def config_hint(pod: Any) -> str:
    container = next(c for c in pod.spec.containers if c.name == a2.PROGRAM)
    as_env = any(v.name == "GREETING" for v in container.env or []) or bool(container.env_from)
    where = f"the program reads its configuration from the file {a2.CONFIG_PATH}"
    if as_env:
        return (
            f"the configuration is given as environment variables, but {where}, not its environment: put the old "
            f"server's file in a ConfigMap and mount it so that the file appears at {a2.CONFIG_PATH}"
        )
    return f"{where}: put the old server's file in a ConfigMap and mount it so that it appears at that path"


def clock_hint(ctx: Context, log: str) -> str:
    if "bad address" in log:
        return (
            f"the program reaches its peer by the host name {a2.PEER}: a Service named {a2.PEER} in this "
            f"namespace gives it that name (Services here: {', '.join(services(ctx)) or 'none'})"
        )
    return (
        f"the Service {a2.PEER} exists, but nothing answers behind it: compare its selector and ports with the "
        f"clock pods (kubectl get endpointslices -l kubernetes.io/service-name={a2.PEER} -n {ctx.namespace})"
    )


def why_no_visit(ctx: Context, replies: list[a2.VisitorReply], waited: float) -> Failure:
    """What the cluster says about tally, once no request was counted as a visit."""
    pods = tally_pods(ctx)
    saw = f"no request to http://{a2.PROGRAM}/ was counted as a visit in {waited:.0f} s ({a2.counted(replies)})"
    if not pods:
        return Failure(f"{saw}; no tally pod", f"kubectl describe deployment tally -n {ctx.namespace}")
    pod = max(pods, key=lambda p: p.metadata.creation_timestamp)  # the newest template's, during a rollout
    state = a2.describe_pod(pod)
    if pod.spec.node_name and pod.spec.node_name != REAL_NODE_NAME:
        return Failure(
            f"{saw}; {pod.metadata.name} runs on {pod.spec.node_name}, a simulated node where no container runs",
            "keep the nodeSelector and the toleration of the starting manifest: they place tally on the real node",
        )
    if pod.status.phase == "Pending" and not pod.spec.node_name:
        claims = [v.persistent_volume_claim.claim_name for v in pod.spec.volumes or [] if v.persistent_volume_claim]
        return Failure(
            f"{saw}; {pod.metadata.name} is Pending: {unschedulable_message(pod) or 'not scheduled'}",
            f"the setup offers a volume reserved for a claim named {a2.STATE_CLAIM} (claims used: "
            f"{', '.join(claims) or 'none'}); kubectl describe pod {pod.metadata.name} -n {ctx.namespace}",
        )
    log = all_logs(ctx, pod)
    last = next((line for line in reversed(log.splitlines()) if line.startswith("tally:")), "")
    if a2.crashed(pod) and "cannot read" in log:
        return Failure(f"{saw}; {state}; its log: {last}", config_hint(pod))
    if a2.crashed(pod) and "sets no GREETING" in log:
        return Failure(f"{saw}; {state}; its log: {last}", "copy the old server's file as it is: it sets GREETING")
    if "wget" in log and ("bad address" in log or "refused" in log or any(r.kind == "503" for r in replies)):
        said = next((line for line in reversed(log.splitlines()) if "wget" in line), "")
        return Failure(f"{saw}; {state}; its logs say: {said}", clock_hint(ctx, log))
    return Failure(f"{saw}; {state}", f"kubectl describe pod {pod.metadata.name} -n {ctx.namespace}, and its log")


def rolling(ctx: Context) -> bool:
    """True while tally's Deployment replaces its pods: the crashed pod of the old template is not the answer."""
    found = ctx.cluster.apps.read_namespaced_deployment(a2.PROGRAM, ctx.namespace)
    wanted, status = found.spec.replicas, found.status
    seen = (status.observed_generation or 0) >= found.metadata.generation
    return not (seen and (status.updated_replicas or 0) == wanted and (status.replicas or 0) == wanted)


def given_up(ctx: Context, pods: list[Any]) -> bool:
    """True when no tally pod can answer without a change of the reader's: the rollout is over and each pod
    crashed, or waits for a volume or a node that nothing will give it, or sits on a simulated node."""

    def stuck(pod: Any) -> bool:
        elsewhere = pod.spec.node_name and pod.spec.node_name != REAL_NODE_NAME
        return bool(a2.crashed(pod) or elsewhere or unschedulable_message(pod))

    return bool(pods) and all(stuck(p) for p in pods) and not rolling(ctx)


# --- the scenario ------------------------------------------------------------------------------------


def first_visits(ctx: Context) -> tuple[Failure | None, list[a2.VisitorReply]]:
    """Wait until the visitor's requests are counted as visits; a failure if not within ``ANSWER_S``, or as soon
    as tally cannot answer without a change (crashed, stuck, or answering only 503 for ``ONLY_503_S``)."""
    since = now()
    seen: list[a2.VisitorReply] = []

    def look() -> bool:
        seen[:] = a2.replies_since(ctx.cluster, ctx.namespace, since)
        only_503 = (now() - since).total_seconds() > ONLY_503_S and {r.kind for r in seen} == {"503"}
        return any(r.visit for r in seen) or only_503 or given_up(ctx, tally_pods(ctx))

    try:
        poll_until(look, bool, what="a visit", timeout=ANSWER_S)
    except LabError:
        pass
    if any(r.visit for r in seen):
        return None, seen
    return why_no_visit(ctx, seen, (now() - since).total_seconds()), seen


def state_volume_hint(ctx: Context) -> str:
    """What keeps tally's working folder, read from the Deployment's template."""
    spec = ctx.cluster.apps.read_namespaced_deployment(a2.PROGRAM, ctx.namespace).spec.template.spec
    container = next(c for c in spec.containers if c.name == a2.PROGRAM)
    volumes = {v.name: v for v in spec.volumes or []}
    mount = next((m for m in container.volume_mounts or [] if m.mount_path.rstrip("/") == a2.WORKDIR), None)
    offer = (
        f"mount a PersistentVolumeClaim there (the setup offers a volume reserved for a claim named {a2.STATE_CLAIM})"
    )
    if mount is None:
        return (
            f"nothing is mounted on {a2.WORKDIR}, tally's working folder, where it keeps its count: the count lives "
            f"in the container's own files; {offer}"
        )
    if volumes.get(mount.name) is not None and volumes[mount.name].empty_dir is not None:
        return f"{a2.WORKDIR} is an emptyDir volume, which lives and dies with its pod; {offer}"
    return f"the volume {mount.name} on {a2.WORKDIR} did not keep the count; {offer}"


def count_kept(ctx: Context, last: int, first: a2.VisitorReply) -> Failure | None:
    """The first visit after the restart must follow the last one before it: the count is not in the pod."""
    if first.visit > last:
        return None
    return Failure(
        f"the last visit counted before the checker stopped tally was number {last}; the first its new pod "
        f"{first.server} counted was number {first.visit}",
        state_volume_hint(ctx),
    )


def no_503(replies: list[a2.VisitorReply]) -> Failure | None:
    """No request answered 503 while tally, started first, waited for its clock."""
    errors = [r for r in replies if r.kind == "503"]
    if not errors:
        return None
    return Failure(
        "the checker stopped tally and clock, started tally, then the clock once tally's container ran: "
        f"{len(errors)} requests were answered 503 by tally before the clock was up ('cannot reach the clock')",
        "Kubernetes starts pods in no order: keep tally from serving before the clock answers, with an init "
        f"container that waits until http://{a2.PEER}:{a2.PROGRAM_PORT}/ answers, or a readiness probe that fails "
        "while the clock does not answer",
    )


def play(ctx: Context) -> dict[str, Failure | None]:
    """Visits first; then one restart of tally before its clock, which judges both the count and the order."""
    failure, replies = first_visits(ctx)
    if failure:
        return {ANSWERS: failure}
    restart = a2.restart_clock_last(ctx.cluster, ctx.namespace)
    before = [*replies, *a2.replies_since(ctx.cluster, ctx.namespace, replies[-1].at)]
    last = max(r.visit for r in before if r.visit and r.at < restart.tally_at)
    old = {r.server for r in replies if r.server}
    try:
        after = a2.replies_until_visits(ctx.cluster, ctx.namespace, restart.tally_at, timeout=AGAIN_S)
    except LabError:
        missed = why_no_visit(ctx, a2.replies_since(ctx.cluster, ctx.namespace, restart.tally_at), AGAIN_S)
        return {ANSWERS: None, STATE: missed, ORDER: missed}
    first = next(r for r in after if r.visit and r.server not in old)
    return {ANSWERS: None, STATE: count_kept(ctx, last, first), ORDER: no_503(after)}


def state_key(ctx: Context) -> tuple:
    """What the reader controls: tally's pod template, the ConfigMaps, Services and claims."""
    template = ctx.cluster.apps.read_namespaced_deployment(a2.PROGRAM, ctx.namespace).spec.template
    core = ctx.cluster.core
    return (
        ctx.namespace,
        json.dumps(ctx.cluster.api_client.sanitize_for_serialization(template), sort_keys=True),
        tuple(
            (c.metadata.name, c.metadata.resource_version) for c in core.list_namespaced_config_map(ctx.namespace).items
        ),
        tuple(
            (s.metadata.name, s.metadata.resource_version) for s in core.list_namespaced_service(ctx.namespace).items
        ),
        tuple(
            (c.metadata.name, c.metadata.uid) for c in core.list_namespaced_persistent_volume_claim(ctx.namespace).items
        ),
    )


def outcome(ctx: Context, step: str) -> Failure | None:
    results = remembered(OUTCOMES, state_key(ctx), REUSE, lambda: play(ctx))
    if step not in results:
        return Failure("an earlier step failed", "fix the step before this one first")
    return results[step]


# --- the criteria -------------------------------------------------------------------------------------


def set_up(ctx: Context) -> Failure | None:
    apps, core, ns = ctx.cluster.apps, ctx.cluster.core, ctx.namespace
    missing = [
        what
        for what, read in (
            ("Deployment tally", lambda: apps.read_namespaced_deployment(a2.PROGRAM, ns)),
            ("Deployment clock", lambda: apps.read_namespaced_deployment(a2.PEER, ns)),
            ("Service tally", lambda: core.read_namespaced_service(a2.PROGRAM, ns)),
        )
        if ctx.get(read) is None
    ]
    if missing:
        return Failure(
            f"no {', no '.join(missing)} in the namespace",
            f"start from the setup: {SETUP.format(namespace=ns)} (then change what it made; keep the names)",
        )
    return None


def visitor_runs(ctx: Context) -> Failure | None:
    """The checker's visitor pod runs (made first if it is not there; then waited for as any checker's client)."""
    if ctx.get(ctx.cluster.core.read_namespaced_pod, a2.VISITOR, ctx.namespace) is None:
        ctx.cluster.core.create_namespaced_pod(ctx.namespace, a2.visitor_pod())
    return client_runs(ctx, a2.VISITOR)


SET_UP = Criterion("The Deployments tally and clock and the Service tally from the setup are there", set_up)
VISITOR = Criterion("The checker's visitor pod runs", visitor_runs, needs=(SET_UP,))
ANSWERED = Criterion(
    "Requests to http://tally/ are counted as visits (configuration read, clock reached)",
    lambda ctx: outcome(ctx, ANSWERS),
    needs=(VISITOR,),
)
KEPT = Criterion(
    "The count goes on in tally's new pod after a restart", lambda ctx: outcome(ctx, STATE), needs=(ANSWERED,)
)
ORDERED = Criterion(
    "Started before its clock, tally answers no request with a 503", lambda ctx: outcome(ctx, ORDER), needs=(ANSWERED,)
)

CHECKER = Checker("Make tally a well-behaved Kubernetes workload", [SET_UP, VISITOR, ANSWERED, KEPT, ORDERED])
