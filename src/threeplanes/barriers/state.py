"""Barrier 4, state and the network: a workload's data and its address when its pod is replaced or its node is lost.

Used by the lab A4 (``labs/a4-state-and-network.md``) and its exercise ``a4-keep-the-data``.

- The journal app, ``notes``: a shell loop on busybox that appends a line to ``/var/lib/notes/journal``
  each time it starts. Like a database with its data directory, it will not share that directory: it
  writes its name into ``owner`` there and stops as soon as another instance has written its own.
  ``journal_container`` builds it, ``app_pod_spec`` places it on the real node, ``exec_in`` and
  ``read_journal`` read it inside the container, ``starts_in`` lists who started on a journal, and
  ``volume_at`` says which volume of a pod holds a path (a checker's explanation).
- Identity: ``identity`` records what a StatefulSet's pod is (uid, address, claim, volume), so that a
  replacement can be compared with the pod it replaced; ``claims_owners_table`` shows the claims with their
  owners: ``persistentVolumeClaimRetentionPolicy`` is carried out through ownerReferences, and the
  garbage collector deletes a claim whose owner is gone.
- The network: ``dns_watcher_pod`` asks the cluster's DNS for names every fifth of a second and logs the
  answers, read back with the kubelet's timestamps by ``dns_answers``; beside ``threeplanes.kit.traffic``'s
  client, ``Move`` holds what a replaced pod's Service, client and DNS names did and when, and
  ``plot_move`` draws it.

- The clean-up: ``delete_namespace_now`` force-deletes a namespace's pods as it deletes the namespace,
  so that pods on the real node do not hold it for half a minute; ``wait_for_none`` watches a listing
  until it is empty. ``kubectl_apply`` applies objects as a reader applies a manifest (the exercise's
  answers).

The helpers for a command inside a container (``exec_in``), for the DNS answers over time and for the
clean-up could move to the kit if another lab needs them.
"""

from __future__ import annotations

import itertools
import re
import shlex
import tempfile
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import yaml
from kubernetes.client import ApiException

from threeplanes.kit.control_plane import on_real_node
from threeplanes.kit.deleting import ignore_missing
from threeplanes.kit.effects import poll_until
from threeplanes.kit.kubectl import kubectl
from threeplanes.kit.pods import live, pod_log
from threeplanes.kit.tables import Table, table
from threeplanes.kit.traffic import Reply
from threeplanes.kit.wait import Objects, is_ready, wait_for, wait_for_namespace_gone

APP = "notes"
JOURNAL_DIR = "/var/lib/notes"
JOURNAL = f"{JOURNAL_DIR}/journal"
STARTED = re.compile(r"^\S+ (\S+) started$")


# --- The journal app ---------------------------------------------------------------------------


def journal_script(directory: str = JOURNAL_DIR) -> str:
    """The app: note its start in ``<directory>/journal``, then keep the directory to itself.

    It writes its host name (its pod's name) into ``owner`` and checks it every second; when another
    instance has written its own, it says so and exits 1. SIGTERM ends it at once (within the second).
    """
    return "\n".join(
        [
            f"trap 'exit 0' TERM; d={directory}; me=$(hostname)",
            'mkdir -p $d && echo "$me" > $d/owner',
            'echo "$(date -u +%FT%TZ) $me started" >> $d/journal',
            'echo "$me keeps its journal in $d"',
            "while sleep 1; do",
            '  o=$(cat $d/owner); [ "$o" = "$me" ] && continue',
            '  echo "$o took $d over: $me stops"; exit 1',
            "done",
        ]
    )


def journal_container(image: str, volume: str | None = None, path: str = JOURNAL_DIR) -> dict[str, Any]:
    """The app's container, ``notes``; with ``volume``, that volume of the pod is mounted at ``path``."""
    container: dict[str, Any] = {"name": APP, "image": image, "command": ["sh", "-c", journal_script()]}
    if volume:
        container["volumeMounts"] = [{"name": volume, "mountPath": path}]
    return container


def app_pod_spec(image: str, volume: str | None = None) -> dict[str, Any]:
    """A pod spec for the app on the real node (the only node that runs containers), ending within seconds."""
    return on_real_node({"terminationGracePeriodSeconds": 5, "containers": [journal_container(image, volume)]})


def claim_template(storage_class: str, size: str = "100Mi", name: str = "data") -> dict[str, Any]:
    """A StatefulSet's claim template: one ReadWriteOnce claim ``<name>-<pod>`` of ``storage_class`` per pod."""
    spec = {
        "accessModes": ["ReadWriteOnce"],
        "storageClassName": storage_class,
        "resources": {"requests": {"storage": size}},
    }
    return {"metadata": {"name": name}, "spec": spec}


def stateful_set(
    name: str, pod_spec: dict[str, Any], template: dict[str, Any], replicas: int = 1, parallel: bool = False
) -> dict[str, Any]:
    """A StatefulSet ``name`` of ``replicas`` pods labelled ``app: <name>``, each with a claim from ``template``;
    ``parallel`` starts them together (``podManagementPolicy: Parallel``). Its headless Service has its name."""
    spec: dict[str, Any] = {
        "serviceName": name,
        "replicas": replicas,
        "selector": {"matchLabels": {"app": name}},
        "template": {"metadata": {"labels": {"app": name}}, "spec": pod_spec},
        "volumeClaimTemplates": [template],
    }
    if parallel:
        spec["podManagementPolicy"] = "Parallel"
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": name}, "spec": spec}


def starts_in(journal: str) -> list[str]:
    """The pods that started on this journal, in order (one per ``<time> <pod> started`` line)."""
    return [m.group(1) for line in journal.splitlines() if (m := STARTED.match(line.strip()))]


def exec_in(cluster: Any, namespace: str, pod: str, script: str, show: bool = True) -> str:
    """Run ``sh -c script`` in ``pod``'s first container (``kubectl exec``); its output. A failure raises
    ``CommandFailed`` with kubectl's words (no container there, the command failed)."""
    command = f"exec -n {namespace} {pod} -- sh -c {shlex.quote(script)}"
    return kubectl(command, cluster, show=show, timeout=30)


def kubectl_apply(cluster: Any, namespace: str, objects: list[dict[str, Any]]) -> str:
    """``kubectl apply -f`` the objects (written to a file first) in ``namespace``, as a reader applies a manifest."""
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as manifest:
        yaml.safe_dump_all(objects, manifest, sort_keys=False)
        manifest.flush()
        return kubectl(f"apply -n {namespace} -f {manifest.name}", cluster, show=False)


def read_journal(cluster: Any, namespace: str, pod: str, show: bool = True) -> str:
    """The journal as the container ``pod`` reads it, at the app's data path."""
    return exec_in(cluster, namespace, pod, f"cat {JOURNAL}", show=show)


def volume_at(pod: Any, path: str = JOURNAL_DIR, container: str = APP) -> tuple[Any, str] | None:
    """The pod's volume that holds ``path`` in ``container`` (the deepest mount at or above it) and its mount
    path; None when ``path`` lies in the container's own file system."""
    spec = pod.spec
    chosen = next((c for c in spec.containers if c.name == container), spec.containers[0])
    holding = [
        m
        for m in chosen.volume_mounts or []
        if path == m.mount_path.rstrip("/") or path.startswith(m.mount_path.rstrip("/") + "/")
    ]
    if not holding:
        return None
    mount = max(holding, key=lambda m: len(m.mount_path.rstrip("/")))
    volume = next((v for v in spec.volumes or [] if v.name == mount.name), None)
    return (volume, mount.mount_path) if volume is not None else None


def volume_source(volume: Any) -> str:
    """``persistentVolumeClaim data``, ``emptyDir``, ``hostPath /srv/notes``...: what a pod volume is."""
    if volume.persistent_volume_claim:
        return f"persistentVolumeClaim {volume.persistent_volume_claim.claim_name}"
    if volume.host_path:
        return f"hostPath {volume.host_path.path}"
    if volume.empty_dir is not None:
        return "emptyDir"
    kinds = [k for k, v in volume.to_dict().items() if k != "name" and v is not None]
    return kinds[0] if kinds else "volume"


# --- A StatefulSet's pods: who they are --------------------------------------------------------


@dataclass(frozen=True)
class PodIdentity:
    """What a StatefulSet's pod is at one moment: the pod, its address, and the claim and volume it mounts."""

    pod: str
    uid: str
    address: str
    claim: str
    claim_uid: str
    volume: str


def identity(cluster: Any, namespace: str, pod_name: str, template: str = "data") -> PodIdentity:
    """The identity of ``pod_name``, whose claim is ``<template>-<pod>``, as the API holds it now."""
    pod = cluster.core.read_namespaced_pod(pod_name, namespace)
    claim = cluster.core.read_namespaced_persistent_volume_claim(f"{template}-{pod_name}", namespace)
    meta = claim.metadata
    return PodIdentity(pod_name, pod.metadata.uid, pod.status.pod_ip, meta.name, meta.uid, claim.spec.volume_name)


def identities_table(rows: dict[str, PodIdentity]) -> Table:
    """One row per identity, under the name given (``before``, ``after``)."""
    return table(
        rows.items(),
        {
            "": lambda r: r[0],
            "POD": lambda r: r[1].pod,
            "POD UID": lambda r: r[1].uid[:8],
            "IP": lambda r: r[1].address,
            "CLAIM": lambda r: r[1].claim,
            "CLAIM UID": lambda r: r[1].claim_uid[:8],
            "VOLUME": lambda r: r[1].volume,
        },
    )


def owners(obj: Any) -> str:
    """``StatefulSet/notes``, ``Pod/notes-1``: the object's owners, ``-`` when it has none."""
    return ", ".join(f"{r.kind}/{r.name}" for r in obj.metadata.owner_references or []) or "-"


def claims_owners_table(claims: Objects) -> Table:
    """The claims by name: phase, volume and owners (who the garbage collector deletes them with)."""
    return table(
        sorted(claims, key=lambda c: c.metadata.name),
        {
            "CLAIM": lambda c: c.metadata.name,
            "STATUS": lambda c: "Terminating" if c.metadata.deletion_timestamp else c.status.phase,
            "VOLUME": lambda c: c.spec.volume_name,
            "OWNERS": owners,
        },
    )


def wait_for_claims(cluster: Any, namespace: str, names: set[str], timeout: float = 60) -> Objects:
    """Wait until the namespace's claims (those not being deleted) are exactly ``names``; return them."""

    def named(claims: Objects) -> set[str]:
        return {c.metadata.name for c in live(claims)}

    found = wait_for(
        cluster.core.list_namespaced_persistent_volume_claim,
        lambda claims: named(claims) == names,
        what=f"the claims of {namespace} to be {sorted(names) or 'none'}",
        describe=lambda claims: ", ".join(sorted(named(claims))) or "none",
        timeout=timeout,
        namespace=namespace,
    )
    return live(found)


def wait_for_owners(cluster: Any, namespace: str, expected: dict[str, str], timeout: float = 30) -> Objects:
    """Wait until each claim of ``expected`` has those owners (``owners``' words); the StatefulSet controller
    writes them a moment after its policy changes."""

    def seen(claims: Objects) -> dict[str, str]:
        return {c.metadata.name: owners(c) for c in claims if c.metadata.name in expected}

    return wait_for(
        cluster.core.list_namespaced_persistent_volume_claim,
        lambda claims: seen(claims) == expected,
        what=f"the claims' owners to be {expected}",
        describe=lambda claims: str(seen(claims)),
        timeout=timeout,
        namespace=namespace,
    )


# --- A lost node ---------------------------------------------------------------------------------


def unscheduled(pods: Objects) -> bool:
    """True when every live pod of the list is bound to no node."""
    return all(not p.spec.node_name for p in live(pods))


# --- The network following a replaced pod ------------------------------------------------------

DNS_PREFIX = "dns "


DNS_ERRORS = ("NXDOMAIN", "SERVFAIL", "REFUSED", "timed out")


def dns_watcher_pod(name: str, names: list[str], image: str, interval: float = 0.2) -> dict[str, Any]:
    """A pod on the real node that asks the cluster's DNS for each of ``names``, over and over.

    Every ``interval`` seconds it logs one line per name: ``dns <name> <address> ...`` (the A records,
    sorted), or, when there is none, ``dns <name> - <why>`` with the error busybox's nslookup printed
    (``NXDOMAIN``: the name has no record; ``timed out``: no answer came), empty when it printed none.
    """
    errors = "\\|".join(DNS_ERRORS)
    ask = (
        'out=$(nslookup "$n" 2>&1); '
        "a=$(echo \"$out\" | sed -n '/^Name:/,$s/^Address: *//p' | sort | tr '\\n' ' '); "
        f'[ -n "$a" ] || a="- $(echo "$out" | grep -o \'{errors}\' | head -1)"; '
        f'echo "{DNS_PREFIX}$n $a"'
    )
    script = f"while true; do for n in {' '.join(names)}; do {ask}; done; sleep {interval:g}; done"
    container = {"name": "dns", "image": image, "command": ["sh", "-c", script]}
    spec = on_real_node({"terminationGracePeriodSeconds": 1, "containers": [container]})
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


@dataclass(frozen=True)
class DnsAnswer:
    """One answer the DNS watcher logged: when (the kubelet's timestamp), for which name, which addresses, and
    when there were none, the error the lookup printed (``NXDOMAIN``, ``timed out``; empty for none)."""

    at: datetime
    name: str
    addresses: tuple[str, ...]
    error: str = ""

    @property
    def failed(self) -> bool:
        """No answer came back at all (a time-out, a server failure): not an answer that the name has no record."""
        return not self.addresses and self.error not in ("", "NXDOMAIN")


def timed_dns_answers(log: str) -> list[DnsAnswer]:
    """The answers of a ``dns_watcher_pod`` log read with timestamps (``<RFC 3339 time> dns <name> <ips>``, or
    ``... dns <name> - <error>``)."""
    answers = []
    for line in log.splitlines():
        stamp, _, text = line.partition(" ")
        if text.startswith(DNS_PREFIX):
            name, _, rest = text[len(DNS_PREFIX) :].partition(" ")
            addresses, _, error = rest.partition("-")
            answers.append(DnsAnswer(datetime.fromisoformat(stamp), name, tuple(addresses.split()), error.strip()))
    return answers


def dns_answers(cluster: Any, namespace: str, pod: str) -> list[DnsAnswer]:
    """What the DNS watcher ``pod`` has logged so far (nothing while its kubelet has no log to give)."""
    try:
        return timed_dns_answers(pod_log(cluster, namespace, pod, timestamps=True))
    except ApiException as error:
        if error.status in (400, 404):
            return []
        raise


def steady_for(answers: list[DnsAnswer], name: str, addresses: tuple[str, ...]) -> float:
    """For how many seconds, up to its latest answer, ``name`` has resolved to ``addresses`` without a break."""
    mine = [a for a in answers if a.name == name]
    run = list(itertools.takewhile(lambda a: a.addresses == addresses, reversed(mine)))
    return (run[0].at - run[-1].at).total_seconds() if run else -1.0


def wait_for_dns(
    cluster: Any,
    namespace: str,
    pod: str,
    name: str,
    addresses: tuple[str, ...],
    steady: float = 0.0,
    timeout: float = 30,
) -> DnsAnswer:
    """Wait until the watcher's answers for ``name`` have been ``addresses`` for ``steady`` seconds on end (by
    the kubelet's timestamps; 0: the latest answer is); return the latest."""
    seen = poll_until(
        lambda: dns_answers(cluster, namespace, pod),
        lambda answers: steady_for(answers, name, addresses) >= steady,
        what=f"the DNS answer for {name} to be {' '.join(addresses) or 'empty'} for {steady:g} s",
        describe=lambda answers: str(next((a for a in reversed(answers) if a.name == name), None)),
        timeout=timeout,
        every=0.5,
    ).seen
    return next(a for a in reversed(seen) if a.name == name)


def new_endpoint(slices: Objects, old_uid: str) -> Any | None:
    """The ready endpoint of ``slices`` whose pod is not ``old_uid``, if any."""
    endpoints = [e for s in slices for e in s.endpoints or []]
    return next(
        (e for e in endpoints if e.conditions.ready and e.target_ref and e.target_ref.uid != old_uid),
        None,
    )


def wait_for_new_endpoint(cluster: Any, namespace: str, service: str, old_uid: str, timeout: float = 60) -> Any:
    """Watch ``service``'s EndpointSlices until they list a ready endpoint of another pod than ``old_uid``."""
    slices = wait_for(
        cluster.discovery.list_namespaced_endpoint_slice,
        lambda found: new_endpoint(found, old_uid) is not None,
        what=f"the EndpointSlice of {service} to list a new pod's address as ready",
        describe=lambda found: str([(e.addresses, e.conditions.ready) for s in found for e in s.endpoints or []]),
        timeout=timeout,
        namespace=namespace,
        label_selector=f"kubernetes.io/service-name={service}",
    )
    return new_endpoint(slices, old_uid)


@dataclass
class Move:
    """A Service's pod replaced, as measured: when the deletion was asked (``at``), when the notebook's watch
    saw the EndpointSlice list the new pod (``slice_at``), every request of the client through the Service's
    name (``replies``) and every answer of the DNS watcher (``answers``)."""

    at: datetime
    old: str
    new: str
    old_address: str
    new_address: str
    slice_at: datetime
    replies: list[Reply]
    answers: list[DnsAnswer]

    def seconds(self, when: datetime | None) -> float | None:
        """Seconds from the deletion to ``when``."""
        return None if when is None else (when - self.at).total_seconds()

    def after(self) -> list[Reply]:
        return [r for r in self.replies if r.at > self.at]

    @property
    def first_new_reply(self) -> datetime | None:
        return next((r.at for r in self.after() if r.pod == self.new), None)

    @property
    def last_old_reply(self) -> datetime | None:
        return max((r.at for r in self.after() if r.pod == self.old), default=None)

    @property
    def gap(self) -> float | None:
        """Seconds without an answer: from the last answer before the new pod's first, to that first."""
        first = self.first_new_reply
        answered = [r.at for r in self.replies if r.pod and first is not None and r.at < first]
        return None if first is None or not answered else (first - max(answered)).total_seconds()

    @property
    def unanswered(self) -> int:
        """Requests after the deletion that got no answer, before the new pod's first."""
        first = self.first_new_reply
        return sum(1 for r in self.after() if not r.pod and (first is None or r.at < first))

    def addresses_of(self, name: str) -> set[tuple[str, ...]]:
        """Every answer the DNS watcher got for ``name`` after the deletion (lookups that failed are no answer)."""
        return {a.addresses for a in self.answers if a.name == name and a.at > self.at and not a.failed}

    def answers_of(self, name: str, addresses: tuple[str, ...]) -> list[datetime]:
        """When ``name`` resolved to ``addresses`` after the deletion."""
        return [a.at for a in self.answers if a.name == name and a.at > self.at and a.addresses == addresses]

    def first_answer(self, name: str, addresses: tuple[str, ...]) -> datetime | None:
        return min(self.answers_of(name, addresses), default=None)

    def last_answer(self, name: str, addresses: tuple[str, ...]) -> datetime | None:
        return max(self.answers_of(name, addresses), default=None)

    def steps(self, headless: str) -> list[tuple[str, float | None]]:
        """The measured steps, in seconds after the deletion; ``headless`` is the name the DNS watcher asked."""
        old, new = (self.old_address,), (self.new_address,)
        return [
            ("last answer from the old pod", self.seconds(self.last_old_reply)),
            ("headless name last resolves to the old pod", self.seconds(self.last_answer(headless, old))),
            ("EndpointSlice lists the new pod (ready)", self.seconds(self.slice_at)),
            ("first answer from the new pod", self.seconds(self.first_new_reply)),
            ("headless name resolves to the new pod", self.seconds(self.first_answer(headless, new))),
        ]


def steps_table(steps: list[tuple[str, float | None]]) -> Table:
    return table(steps, {"STEP": lambda s: s[0], "SECONDS AFTER THE DELETION": lambda s: _seconds(s[1])})


def _seconds(value: float | None) -> str:
    return "not seen" if value is None else f"{value:.2f}"


def plot_move(move: Move, service: str, headless: str, title: str, shown: str = "") -> Any:
    """Each request of the client and each DNS answer for ``headless`` around the deletion, by who answered;
    the DNS row is labelled ``shown`` (the name without its domain), ``headless`` by default."""
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(8, 3.2))
    colours = {"old pod": "tab:blue", "new pod": "tab:orange", "no answer": "tab:red", "lookup failed": "tab:grey"}

    def who(pod_or_address: str) -> str:
        if pod_or_address in (move.old, move.old_address):
            return "old pod"
        return "new pod" if pod_or_address in (move.new, move.new_address) else "no answer"

    def answered(answer: DnsAnswer) -> str:
        return "lookup failed" if answer.failed else who(" ".join(answer.addresses))

    rows = [
        (1, [(r.at, who(r.pod)) for r in move.replies]),
        (0, [(a.at, answered(a)) for a in move.answers if a.name == headless]),
    ]
    measured = [seconds for _, seconds in move.steps(headless) if seconds is not None]
    end = max(measured, default=10.0) + 1.5
    for row, points in rows:
        for label, colour in colours.items():
            xs = [move.seconds(at) for at, by in points if by == label and -1.5 <= move.seconds(at) <= end]
            axes.scatter(xs, [row] * len(xs), color=colour, s=14, label=label if row == 1 else None)
    axes.axvline(0, color="grey", linewidth=1)
    axes.axvline(move.seconds(move.slice_at), color="black", linestyle="--", linewidth=1, label="slice lists new pod")
    axes.set(yticks=[0, 1], yticklabels=[f"DNS {shown or headless}", f"GET http://{service}/"], ylim=(-0.6, 1.6))
    axes.set(xlabel="seconds after the old pod's deletion was asked", xlim=(-1.5, end))
    axes.set_title(title, fontsize=10)
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=5, frameon=False, fontsize=8)
    figure.tight_layout()
    plt.close(figure)
    return figure


def ready_on(pod: Any, node: str) -> bool:
    """True when ``pod`` is Ready and bound to ``node``."""
    return is_ready(pod) and pod.spec.node_name == node


# --- Clean-up ------------------------------------------------------------------------------------


def delete_namespace_now(cluster: Any, namespace: str, wait: bool = True, timeout: float = 120) -> list[str]:
    """Delete ``namespace``, force-delete its pods (grace period 0) and, unless told not to ``wait``, wait until
    it is gone; the pods' names.

    Once a namespace is being deleted, no pod can be created in it, so no controller replaces the pods. Without
    the force, the namespace controller waits for each pod's graceful stop and looks again only after a
    delay of its own: half a minute or more for pods on the real node.
    """
    with ignore_missing():
        cluster.core.delete_namespace(namespace)
    pods = cluster.core.list_namespaced_pod(namespace).items
    for pod in pods:
        with ignore_missing():
            cluster.core.delete_namespaced_pod(pod.metadata.name, namespace, grace_period_seconds=0)
    if wait:
        wait_for_namespace_gone(cluster, namespace, timeout=timeout)
    return [p.metadata.name for p in pods]


def wait_for_none(list_fn: Any, what: str, timeout: float = 120, **list_kwargs: Any) -> None:
    """Watch ``list_fn(**list_kwargs)`` until it lists nothing (``what`` says what was awaited)."""
    wait_for(
        list_fn,
        lambda found: not found,
        what=f"{what} to be deleted",
        describe=lambda found: ", ".join(o.metadata.name for o in found),
        timeout=timeout,
        **list_kwargs,
    )
