"""Checker: the app notes keeps its journal when its pod is deleted, judged by deleting it.

The checker finds the one Deployment or StatefulSet whose pods are labelled ``app: notes`` and its one
pod, Ready on the real node and not restarting. Then it plays the scenario: inside that pod's container
it appends a note of its own to the app's journal, ``/var/lib/notes/journal``; it deletes the pod, waits
for the replacement to be Ready on the real node, and reads the journal inside the new container. The
note must be there, and it must lie on one of the volumes the setup offered: the checker reads the
volume's directory on the real node's disk, which is this machine's. The pods' specs and logs are read
only to say why. The scenario is played once per state of the workload and the namespace's claims; the
framework's second look reads the same outcome.
"""

from __future__ import annotations

import importlib.util
import secrets
from pathlib import Path
from typing import Any, NamedTuple

from kubernetes import client

from threeplanes.barriers.state import (
    APP,
    JOURNAL,
    JOURNAL_DIR,
    exec_in,
    read_journal,
    starts_in,
    volume_at,
    volume_source,
)
from threeplanes.checking import Checker, Context, Criterion, Failure
from threeplanes.checking.framework import remembered
from threeplanes.errors import LabError, WaitTimeout
from threeplanes.kit.control_plane import REAL_NODE_NAME
from threeplanes.kit.labels import selector_string
from threeplanes.kit.pods import live, pod_log
from threeplanes.kit.wait import is_ready, pods_summary, unschedulable_message, wait_for

_spec = importlib.util.spec_from_file_location("a4_keep_the_data_setup", Path(__file__).with_name("setup.py"))
setup = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(setup)

SETUP = ".venv/bin/threeplanes exercise setup a4-keep-the-data -n {namespace}"
REPLACEMENT_TIMEOUT = 45  # seconds for the deleted pod's replacement to be Ready on the real node
REUSE = 60  # seconds an outcome serves the checker's second look
TOOK_OVER = "took /var/lib/notes over"
OFFERED = "a PersistentVolumeClaim named data, or a StatefulSet notes whose claim template is named data"


# --- What runs the app -----------------------------------------------------------------------------


def volumes_there(ctx: Context) -> Failure | None:
    missing = [
        setup.volume_name(ctx.namespace, c)
        for c in setup.CLAIMS
        if ctx.get(ctx.cluster.core.read_persistent_volume, setup.volume_name(ctx.namespace, c)) is None
    ]
    if missing:
        return Failure(
            f"no PersistentVolume named {', '.join(missing)}",
            f"run the exercise's setup first: {SETUP.format(namespace=ctx.namespace)}",
        )
    return None


def workloads(ctx: Context) -> list[Any]:
    """The Deployments and StatefulSets of the namespace whose pods are labelled ``app: notes``."""
    if "workloads" not in ctx.notes:
        found = [
            *ctx.cluster.apps.list_namespaced_deployment(ctx.namespace).items,
            *ctx.cluster.apps.list_namespaced_stateful_set(ctx.namespace).items,
        ]
        ctx.notes["workloads"] = [w for w in found if (w.spec.template.metadata.labels or {}).get("app") == APP]
    return ctx.notes["workloads"]


def called(workload: Any) -> str:
    kind = "StatefulSet" if hasattr(workload.spec, "volume_claim_templates") else "Deployment"
    return f"{kind} {workload.metadata.name}"


def one_workload(ctx: Context) -> Failure | None:
    found = workloads(ctx)
    if len(found) == 1:
        return None
    if not found:
        return Failure(
            f"no Deployment or StatefulSet in the namespace runs pods labelled app: {APP}",
            f"keep the label app: {APP} on the app's pods, or run the setup again: "
            + SETUP.format(namespace=ctx.namespace),
        )
    names = " and ".join(called(w) for w in found)
    return Failure(
        f"{names} {'both' if len(found) == 2 else 'all'} run the app, each with pods of its own",
        "keep one of them: delete the one you replaced (kubectl delete deployment notes, for instance)",
    )


def app_pods(ctx: Context) -> list[Any]:
    selector = selector_string(workloads(ctx)[0].spec.selector)
    return live(ctx.cluster.core.list_namespaced_pod(ctx.namespace, label_selector=selector).items)


def restarts(pod: Any) -> int:
    return sum(s.restart_count for s in pod.status.container_statuses or [])


def claims_of(pod: Any) -> list[str]:
    return [v.persistent_volume_claim.claim_name for v in pod.spec.volumes or [] if v.persistent_volume_claim]


def logged(ctx: Context, pod: Any, previous: bool = False) -> str:
    try:
        if previous:
            response = ctx.cluster.core.read_namespaced_pod_log(
                pod.metadata.name, ctx.namespace, previous=True, _preload_content=False
            )
            return response.data.decode()
        return pod_log(ctx.cluster, ctx.namespace, pod.metadata.name)
    except client.ApiException:
        return ""


def taken_over(ctx: Context, pods: list[Any]) -> str:
    """What the app said when another instance took its data directory over, if it did."""
    for pod in pods:
        for text in (logged(ctx, pod, previous=True), logged(ctx, pod)):
            line = next((line for line in text.splitlines() if TOOK_OVER in line), "")
            if line:
                return f"{pod.metadata.name} said: {line!r}"
    return ""


def several(ctx: Context, pods: list[Any]) -> Failure:
    names = ", ".join(p.metadata.name for p in pods)
    counts: dict[str, int] = {}
    for claim in (c for p in pods for c in claims_of(p)):
        counts[claim] = counts.get(claim, 0) + 1
    shared = [c for c, n in counts.items() if n > 1]
    if not shared:
        return Failure(
            f"{len(pods)} pods run the app ({names})",
            "run one replica: the app is one instance, and the checker deletes its pod and reads its journal in the "
            "replacement",
        )
    said = taken_over(ctx, pods)
    restarted = sum(restarts(p) for p in pods)
    fight = f"; they take the directory from each other ({restarted} restart(s); {said})" if said else ""
    return Failure(
        f"{len(pods)} pods run the app ({names}) and share claim {shared[0]}, one data directory{fight}",
        "the app keeps its data directory to itself: it stops when another instance writes its name into owner. "
        "Run one replica on the claim (a StatefulSet gives each replica a claim of its own)",
    )


def runs(ctx: Context) -> Failure | None:
    pods = app_pods(ctx)
    name = called(workloads(ctx)[0])
    if not pods:
        return Failure(f"no pod of {name} yet", f"kubectl get pods -l app={APP} -n {ctx.namespace}")
    if len(pods) > 1:
        return several(ctx, pods)
    (pod,) = pods
    if not pod.spec.node_name:
        message = unschedulable_message(pod) or "not yet scheduled"
        hint = f"kubectl describe pod {pod.metadata.name} -n {ctx.namespace} says what it waits for"
        if "unbound" in message or "persistentvolumeclaim" in message.lower():
            hint = (
                "the setup offered two volumes, each reserved for one claim: data and data-notes-0 (kubectl get pv); "
                f"a claim of another name, size or class finds none. Use {OFFERED}"
            )
        return Failure(f"{pod.metadata.name} is Pending: {message}", hint)
    if pod.spec.node_name != REAL_NODE_NAME:
        return Failure(
            f"{pod.metadata.name} runs on {pod.spec.node_name}, a node simulated by kwok: no container runs there, "
            "and no file is written anywhere",
            f"keep the app on the real node, {REAL_NODE_NAME}: keep the nodeSelector threeplanes.io/node: real and the "
            "toleration of threeplanes.io/real-node that the setup's pod template has",
        )
    if restarts(pod):
        last = (logged(ctx, pod, previous=True).strip().splitlines() or ["(nothing)"])[-1]
        return Failure(
            f"{pod.metadata.name} restarted {restarts(pod)} time(s); its last run ended with: {last!r}",
            "keep the app's container as the setup made it (its image and command); change only where its data lives",
        )
    if not is_ready(pod):
        return Failure(f"{pod.metadata.name} is not Ready yet ({pod.status.phase})", "wait a few seconds, then check")
    return None


# --- The scenario: write, delete, read back -------------------------------------------------------------


class Outcome(NamedTuple):
    kept: Failure | None  # the note is read back in the replacement
    on_volume: Failure | None  # the note lies on a volume the setup offered


def said(error: Exception) -> str:
    lines = str(error).strip().splitlines()
    return lines[-1] if lines else type(error).__name__


def replacement(ctx: Context, old: Any) -> Any:
    """Wait for a pod of the workload other than ``old``, Ready on the real node."""

    def fresh(pods: list[Any]) -> list[Any]:
        return [p for p in live(pods) if p.metadata.uid != old.metadata.uid]

    found = wait_for(
        ctx.cluster.core.list_namespaced_pod,
        lambda pods: any(is_ready(p) and p.spec.node_name == REAL_NODE_NAME for p in fresh(pods)),
        what=f"a replacement of {old.metadata.name} to be Ready on the real node",
        describe=lambda pods: pods_summary(fresh(pods)),
        timeout=REPLACEMENT_TIMEOUT,
        namespace=ctx.namespace,
        label_selector=selector_string(workloads(ctx)[0].spec.selector),
    )
    return next(p for p in fresh(found) if is_ready(p))


def play(ctx: Context) -> Outcome:
    (old,) = app_pods(ctx)
    note = f"note-{secrets.token_hex(4)}"
    try:
        exec_in(ctx.cluster, ctx.namespace, old.metadata.name, f'echo "{note}" >> {JOURNAL}', show=False)
    except LabError as error:
        return Outcome(
            Failure(f"could not write into {JOURNAL} in {old.metadata.name}: {said(error)}", "is its container up?"),
            None,
        )
    ctx.cluster.core.delete_namespaced_pod(old.metadata.name, ctx.namespace)
    try:
        new = replacement(ctx, old)
        journal = read_journal(ctx.cluster, ctx.namespace, new.metadata.name, show=False)
    except (WaitTimeout, LabError) as error:
        return Outcome(
            Failure(f"after {old.metadata.name} was deleted: {said(error)}", f"kubectl get pods -n {ctx.namespace}"),
            None,
        )
    if note not in journal:
        return Outcome(lost(old, new, journal), None)
    return Outcome(None, on_offered_volume(ctx, new, note))


def lost(old: Any, new: Any, journal: str) -> Failure:
    """Why the note written in ``old`` is not in ``new``'s journal, from the new pod's spec."""
    starts = starts_in(journal)
    holds = "only its own start" if starts == [new.metadata.name] else f"the starts of {', '.join(starts) or 'no pod'}"
    seen = f"the note written in {old.metadata.name} is gone: the journal in {new.metadata.name} holds {holds}"
    hint = f"mount a volume that outlives the pod at {JOURNAL_DIR}: {OFFERED}"
    held = volume_at(new)
    if held is None:
        elsewhere = [
            f"{volume_source(v)} is mounted at {m.mount_path}, not at {JOURNAL_DIR}"
            for c in new.spec.containers
            for m in c.volume_mounts or []
            for v in new.spec.volumes or []
            if v.name == m.name and not m.mount_path.startswith("/var/run/secrets")
        ]
        why = (
            f"nothing is mounted at {JOURNAL_DIR}, so the journal was in the container's own file system, deleted with "
        )
        why += "the pod" + (f" ({'; '.join(elsewhere)})" if elsewhere else "")
        return Failure(f"{seen}; {why}", hint)
    volume, path = held
    if volume.empty_dir is not None:
        return Failure(f"{seen}; {path} is an emptyDir volume: it is made with the pod and deleted with it", hint)
    return Failure(f"{seen}; {path} is {volume_source(volume)}, which did not keep it", hint)


def offered_journal(ctx: Context, claim: str) -> str:
    """The journal as the real node's disk holds it in the setup's volume for ``claim`` (this machine's disk)."""
    volume = ctx.get(ctx.cluster.core.read_persistent_volume, setup.volume_name(ctx.namespace, claim))
    if volume is None or not volume.spec.host_path:
        return ""
    try:
        return (Path(volume.spec.host_path.path) / "journal").read_text()
    except OSError:
        return ""


def on_offered_volume(ctx: Context, new: Any, note: str) -> Failure | None:
    if any(note in offered_journal(ctx, claim) for claim in setup.CLAIMS):
        return None
    names = ", ".join(setup.volume_name(ctx.namespace, c) for c in setup.CLAIMS)
    held = volume_at(new)
    where = f"{held[1]} is {volume_source(held[0])}" if held else f"nothing is mounted at {JOURNAL_DIR}"
    if held and held[0].host_path:
        where += f", a directory of the one machine {new.spec.node_name}, which no claim holds"
    return Failure(
        f"the note came back, but it is on neither volume the setup offered ({names}): {where}; a pod that moves to "
        "another node would not find it",
        f"keep the journal on storage the cluster manages for the app: {OFFERED}",
    )


_outcomes: dict[tuple, tuple[float, Outcome]] = {}


def outcome(ctx: Context) -> Outcome:
    workload = workloads(ctx)[0]
    claims = ctx.cluster.core.list_namespaced_persistent_volume_claim(ctx.namespace).items
    key = (
        ctx.namespace,
        called(workload),
        workload.metadata.uid,
        workload.metadata.generation,
        tuple(sorted(c.metadata.uid for c in claims)),
    )
    return remembered(_outcomes, key, REUSE, lambda: play(ctx))


def keeps(ctx: Context) -> Failure | None:
    return outcome(ctx).kept


def on_volume(ctx: Context) -> Failure | None:
    return outcome(ctx).on_volume


VOLUMES = Criterion("The two volumes from the setup are there", volumes_there)
ONE = Criterion("One Deployment or StatefulSet runs the app (pods labelled app: notes)", one_workload)
RUNS = Criterion("The app runs as one pod on the real node, without restarts", runs, needs=(ONE,))
KEEPS = Criterion(
    "A note written in the journal is read back in the new container after the pod's deletion",
    keeps,
    needs=(VOLUMES, RUNS),
)
ON_VOLUME = Criterion("The journal lies on a volume the setup offered", on_volume, needs=(KEEPS,))

CHECKER = Checker("Keep the data through a pod's deletion", [VOLUMES, ONE, RUNS, KEEPS, ON_VOLUME])
