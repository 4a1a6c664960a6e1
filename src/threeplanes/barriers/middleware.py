"""A middleware that clusters itself, run by Kubernetes: etcd as a StatefulSet on the real node (lab A5).

etcd keeps its own membership, elects its own leader and counts its own quorum; Kubernetes keeps
three pods running, named and fed with their volumes. This module builds what the lab and the
exercise ``a5-quorum-budget`` share:

- the image: ``registry.k8s.io/etcd:<pin>-0`` built on this machine from the pinned ``etcd`` and
  ``etcdctl`` (the binaries of the book's own control plane) and Debian's static busybox for a shell,
  written as a one-layer OCI archive and imported into the real node's containerd, as the real node's
  own images are (the kit's ``threeplanes.kit.images``, on provisioning's image builders);
- the members: a headless Service, the StatefulSet, their data either in a claim per member (the lab,
  on hostPath volumes reserved for each claim) or in a folder per member of one hostPath (the
  exercise, which makes nothing outside its namespace), and a janitor pod that removes the data folders
  from the node when the namespace goes (etcd preallocates 64 MB of write-ahead log per member);
- ``etcdctl`` run inside a member (``kubectl exec``), and what it prints read as JSON;
- a drain as ``kubectl drain`` does it, pod by pod through the Eviction API, each refusal (429) asked
  again until a deadline, while a client pod writes to etcd and a watch records which members are Ready.
"""

from __future__ import annotations

import contextlib
import json
import re
import shlex
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from kubernetes import client

from threeplanes.errors import LabError, WaitTimeout
from threeplanes.kit.control_plane import (
    CLUSTER_DOMAIN,
    ImageFile,
    NodeImage,
    busybox_files,
    etcd_tool,
    oci_archive,
    on_real_node,
    real_node_folder,
)
from threeplanes.kit.effects import poll_until
from threeplanes.kit.images import held_digest, import_image, one_builder
from threeplanes.kit.kubectl import kubectl
from threeplanes.kit.pods import live, pod_log
from threeplanes.kit.tables import Table
from threeplanes.kit.timeline import Recorder
from threeplanes.kit.wait import is_ready, wait_for, wait_for_pods
from threeplanes.versions import pinned

STATEFULSET = "etcd"  # the StatefulSet, its headless Service, and the members' label app=etcd
MEMBERS = 3
CLIENT_PORT, PEER_PORT = 2379, 2380
ETCD_DATA_DIR = "/var/lib/etcd"
CLAIM = "data"  # the claim template: the StatefulSet makes data-etcd-0, data-etcd-1...
SELECTOR = f"app={STATEFULSET}"
LABELS = {"app": STATEFULSET}


# --- The image ----------------------------------------------------------------------------------------


def etcd_image() -> str:
    """The image's name: the one registry.k8s.io gives etcd at the pinned version (kubeadm's ``-0`` suffix)."""
    return f"registry.k8s.io/etcd:{pinned().etcd}-0"


def etcd_image_files(etcd: Path, etcdctl: Path, shell: tuple[ImageFile, ...]) -> tuple[ImageFile, ...]:
    """etcd and etcdctl in /usr/local/bin (where the published image has them), on ``shell``: a busybox with a
    link per applet in /bin and the folders a shell expects (the kit's ``busybox_files``)."""
    folders = tuple(ImageFile(path) for path in ("usr", "usr/local", "usr/local/bin", "var/lib"))
    binaries = (ImageFile("usr/local/bin/etcd", source=etcd), ImageFile("usr/local/bin/etcdctl", source=etcdctl))
    return (*shell, *folders, *binaries)


def ensure_etcd_image() -> tuple[str, bool]:
    """The etcd image on the real node, built and imported if missing: its name, and whether it was built
    now. It is labelled pinned, so that the kubelet's image garbage collection leaves it."""
    reference = etcd_image()
    with one_builder(reference):
        if held_digest(reference) is not None:
            return reference, False
        files = etcd_image_files(etcd_tool("etcd"), etcd_tool("etcdctl"), busybox_files())
        import_image(reference, oci_archive(NodeImage(reference, files, entrypoint=("/usr/local/bin/etcd",))))
    return reference, True


# --- The members ---------------------------------------------------------------------------------------


def member_names(count: int = MEMBERS) -> list[str]:
    return [f"{STATEFULSET}-{i}" for i in range(count)]


def member_host(member: str, namespace: str) -> str:
    """A member's stable DNS name: ``<pod>.<headless Service>.<namespace>.svc.<cluster domain>``."""
    return f"{member}.{STATEFULSET}.{namespace}.svc.{CLUSTER_DOMAIN}"


def members_service() -> dict[str, Any]:
    """The headless Service that names the members. With ``publishNotReadyAddresses`` a member's name resolves
    before the member is Ready, which it cannot be until the peers it finds by those names have joined it."""
    ports = [{"name": "client", "port": CLIENT_PORT}, {"name": "peer", "port": PEER_PORT}]
    spec = {"clusterIP": "None", "publishNotReadyAddresses": True, "selector": LABELS, "ports": ports}
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": STATEFULSET}, "spec": spec}


def etcd_container(image: str, members: int = MEMBERS) -> dict[str, Any]:
    """etcd, told its name by its pod's and every member by its stable DNS name (the namespace filled in
    by the kubelet from ``$(POD_NAMESPACE)``)."""
    domain = f"{STATEFULSET}.$(POD_NAMESPACE).svc.{CLUSTER_DOMAIN}"
    peers = ",".join(f"{m}=http://{m}.{domain}:{PEER_PORT}" for m in member_names(members))
    field_env = [("POD_NAME", "metadata.name"), ("POD_NAMESPACE", "metadata.namespace")]
    return {
        "name": "etcd",
        "image": image,
        "command": ["etcd"],
        "args": [
            "--name=$(POD_NAME)",
            f"--data-dir={ETCD_DATA_DIR}",
            f"--listen-client-urls=http://0.0.0.0:{CLIENT_PORT}",
            f"--advertise-client-urls=http://$(POD_NAME).{domain}:{CLIENT_PORT}",
            f"--listen-peer-urls=http://0.0.0.0:{PEER_PORT}",
            f"--initial-advertise-peer-urls=http://$(POD_NAME).{domain}:{PEER_PORT}",
            f"--initial-cluster={peers}",
            "--initial-cluster-token=etcd-$(POD_NAMESPACE)",
            "--initial-cluster-state=new",
        ],
        "env": [{"name": n, "valueFrom": {"fieldRef": {"fieldPath": p}}} for n, p in field_env],
        "ports": [{"name": "client", "containerPort": CLIENT_PORT}, {"name": "peer", "containerPort": PEER_PORT}],
        # Ready only while a linearizable read goes through: the member is in a quorum that has a leader.
        "readinessProbe": {
            "httpGet": {"path": "/readyz", "port": CLIENT_PORT},
            "periodSeconds": 1,
            "timeoutSeconds": 2,
        },
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}},
        "volumeMounts": [{"name": CLAIM, "mountPath": ETCD_DATA_DIR}],
    }


def etcd_statefulset(image: str, host_folder: str | None = None, members: int = MEMBERS) -> dict[str, Any]:
    """The members, started together (``Parallel``: none can be Ready alone). Their data is in a claim each
    (``volumeClaimTemplates``) or, given ``host_folder``, in ``<host_folder>/<pod name>`` on the node."""
    spec: dict[str, Any] = {"terminationGracePeriodSeconds": 5, "containers": [etcd_container(image, members)]}
    stateful: dict[str, Any] = {
        "serviceName": STATEFULSET,
        "replicas": members,
        "podManagementPolicy": "Parallel",
        "selector": {"matchLabels": LABELS},
    }
    if host_folder is None:
        resources = {"requests": {"storage": "256Mi"}}
        claim_spec = {"accessModes": ["ReadWriteOnce"], "storageClassName": "", "resources": resources}
        stateful["volumeClaimTemplates"] = [{"metadata": {"name": CLAIM}, "spec": claim_spec}]
    else:
        spec["volumes"] = [{"name": CLAIM, "hostPath": {"path": host_folder, "type": "DirectoryOrCreate"}}]
        spec["containers"][0]["env"].append({"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}})
        spec["containers"][0]["volumeMounts"][0]["subPathExpr"] = "$(POD)"
    stateful["template"] = {"metadata": {"labels": LABELS}, "spec": on_real_node(spec)}
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": STATEFULSET}, "spec": stateful}


def host_folder(namespace: str) -> str:
    """Where the members' data lives on the real node: ``<folder>/<member>`` each."""
    return str(real_node_folder(namespace))


def data_volume(namespace: str, member: str, labels: dict[str, str], node: str) -> dict[str, Any]:
    """A hostPath volume on ``node`` for ``member``'s claim ``data-<member>``, reserved for it (``claimRef``)."""
    on_node = {"key": "kubernetes.io/hostname", "operator": "In", "values": [node]}
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": f"{namespace}-{member}", "labels": labels},
        "spec": {
            "capacity": {"storage": "256Mi"},
            "accessModes": ["ReadWriteOnce"],
            "storageClassName": "",
            "persistentVolumeReclaimPolicy": "Retain",
            "claimRef": {"namespace": namespace, "name": f"{CLAIM}-{member}"},
            "hostPath": {"path": f"{host_folder(namespace)}/{member}", "type": "DirectoryOrCreate"},
            "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [on_node]}]}},
        },
    }


def janitor_pod(namespace: str, image: str) -> dict[str, Any]:
    """A pod on the real node that waits, and removes the members' data folder when it is stopped: the
    namespace's deletion stops it, so the data goes with the namespace."""
    script = f"trap 'rm -rf /host/{namespace}; exit 0' TERM; while :; do sleep 3600 & wait $!; done"
    container = {
        "name": "janitor",
        "image": image,
        "command": ["sh", "-c", script],
        "volumeMounts": [{"name": "root", "mountPath": "/host"}],
        "resources": {"requests": {"cpu": "5m", "memory": "8Mi"}},
    }
    volumes = [{"name": "root", "hostPath": {"path": str(real_node_folder()), "type": "DirectoryOrCreate"}}]
    spec = on_real_node({"terminationGracePeriodSeconds": 5, "containers": [container], "volumes": volumes})
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "janitor"}, "spec": spec}


def create_members(
    cluster: Any, namespace: str, image: str, *, claims_on: str | None = None, labels: dict[str, str] | None = None
) -> None:
    """The janitor, the headless Service and the StatefulSet; with ``claims_on`` (a node), the members keep
    their data in claims, each bound to a volume on that node reserved for it (cluster-wide, ``labels``).
    What exists already is left as it is (a reader may run an exercise's setup twice)."""
    creations = [(cluster.core.create_namespaced_pod, janitor_pod(namespace, image))]
    if claims_on is not None:
        for member in member_names():
            volume = data_volume(namespace, member, labels or {}, claims_on)
            creations.append((lambda _, body: cluster.core.create_persistent_volume(body), volume))
    folder = None if claims_on is not None else host_folder(namespace)
    creations += [
        (cluster.core.create_namespaced_service, members_service()),
        (cluster.apps.create_namespaced_stateful_set, etcd_statefulset(image, folder)),
    ]
    for create, body in creations:
        try:
            create(namespace, body)
        except client.ApiException as error:
            if error.status != 409:
                raise


def wait_for_members(cluster: Any, namespace: str, count: int = MEMBERS, timeout: float = 90) -> list[Any]:
    """The members, once ``count`` are Ready (each in a quorum: its probe asks for a linearizable read)."""
    return sorted(wait_for_pods(cluster, namespace, SELECTOR, count, timeout=timeout), key=lambda p: p.metadata.name)


def wait_for_pod_gone(cluster: Any, namespace: str, name: str, uid: str, timeout: float = 60) -> None:
    """Wait until the pod ``name`` whose uid is ``uid`` no longer exists (a new pod of that name may be there)."""
    wait_for(
        cluster.core.list_namespaced_pod,
        lambda pods: all(p.metadata.uid != uid for p in pods),
        what=f"pod {name} (uid {uid[:8]}) to be gone",
        describe=lambda pods: ", ".join(f"{p.metadata.name} uid {p.metadata.uid[:8]}" for p in pods) or "none",
        timeout=timeout,
        namespace=namespace,
        field_selector=f"metadata.name={name}",
    )


def members_table(pods: list[Any], status: dict[str, dict[str, Any]]) -> Table:
    """Each member as Kubernetes sees it (its pod, Ready, IP) beside what etcd says of it (id, role)."""
    leader = followed_leader(status)
    rows = [
        [
            p.metadata.name,
            str(is_ready(p)),
            p.status.pod_ip or "",
            status.get(p.metadata.name, {}).get("id", ""),
            "leader" if p.metadata.name == leader else "follower",
        ]
        for p in sorted(pods, key=lambda p: p.metadata.name)
    ]
    return Table(["POD", "READY (kubelet)", "POD IP", "MEMBER ID (etcd)", "ROLE (etcd)"], rows)


# --- etcdctl inside a member ----------------------------------------------------------------------------


def etcdctl(cluster: Any, namespace: str, member: str, *args: str, timeout: float = 30) -> str:
    """``etcdctl <args>`` run inside ``member`` (``kubectl exec``), which asks that member unless ``args`` name
    other endpoints; what it printed."""
    command = shlex.join(("etcdctl", "--command-timeout=10s", *args))
    return kubectl(f"exec -n {namespace} {member} -c etcd -- {command}", cluster, show=False, timeout=timeout)


def resolve(cluster: Any, namespace: str, member: str, host: str, timeout: float = 20) -> list[str]:
    """The IPv4 addresses ``host`` resolves to, asked from inside ``member`` (busybox's nslookup, which asks the
    name server of the pod's resolv.conf: the cluster's DNS); asked again while no answer comes (a busy
    machine's DNS may time out)."""

    def ask() -> list[str]:
        try:
            answer = kubectl(f"exec -n {namespace} {member} -c etcd -- nslookup -type=a {host}", cluster, show=False)
        except LabError:  # nslookup exits 1 when its query timed out or found nothing
            return []
        return re.findall(r"Address(?: \d+)?:\s*([0-9.]+)", answer.split("Name:", 1)[-1])

    return poll_until(ask, bool, what=f"{host} to resolve inside {member}", timeout=timeout, every=1).seen


def fatal_words(cluster: Any, namespace: str, pod: str) -> str:
    """What etcd said as it gave up (its ``fatal`` line: message and error), from the container's log or, once
    the kubelet has started it again, from the previous one's."""
    for previous in (False, True):
        with contextlib.suppress(client.ApiException):
            for entry in log_entries(pod_log(cluster, namespace, pod, previous=previous)):
                if entry.get("level") == "fatal":
                    return f"{entry.get('msg')}: {entry.get('error', '')}"
    return ""


def client_urls(namespace: str, members: list[str]) -> str:
    return ",".join(f"http://{member_host(m, namespace)}:{CLIENT_PORT}" for m in members)


def member_list(cluster: Any, namespace: str, member: str) -> list[dict[str, Any]]:
    """``etcdctl member list -w json`` as ``member`` knows it: each member's id (hex), name and peer URLs."""
    found = json.loads(etcdctl(cluster, namespace, member, "member", "list", "-w", "json"))
    return [
        {
            "id": f"{m['ID']:x}",
            "name": m.get("name", ""),
            "peers": m.get("peerURLs", []),
            "learner": bool(m.get("isLearner")),
        }
        for m in found["members"]
    ]


def endpoint_status(
    cluster: Any, namespace: str, member: str, ask: list[str] | None = None
) -> dict[str, dict[str, Any]]:
    """``etcdctl endpoint status -w json`` run in ``member``, for the members ``ask`` (default: every member
    of the cluster, ``--cluster``): per member name, its id, the leader it follows, the Raft term and the
    index of the last entry committed."""
    where = ["--cluster"] if ask is None else [f"--endpoints={client_urls(namespace, ask)}"]
    found = json.loads(etcdctl(cluster, namespace, member, "endpoint", "status", *where, "-w", "json"))
    return {
        member_of_url(s["Endpoint"]): {
            "id": f"{s['Status']['header']['member_id']:x}",
            "leader": f"{s['Status']['leader']:x}",
            "term": s["Status"]["raftTerm"],
            "index": s["Status"]["raftIndex"],
        }
        for s in found
    }


def member_of_url(url: str) -> str:
    """``etcd-1`` from ``http://etcd-1.etcd.<namespace>.svc.cluster.local:2379``."""
    return url.split("//", 1)[-1].split(".", 1)[0]


def followed_leader(status: dict[str, dict[str, Any]]) -> str | None:
    """The member every answering member follows, by name; None while they disagree or follow no one."""
    names = {s["id"]: name for name, s in status.items()}
    leaders = {s["leader"] for s in status.values()}
    return names.get(leaders.pop()) if len(leaders) == 1 else None


def log_entries(log: str) -> list[dict[str, Any]]:
    """etcd's JSON log lines, as dicts (a line that is not JSON is left out)."""
    entries = []
    for line in log.splitlines():
        with contextlib.suppress(ValueError):
            entry = json.loads(line)
            if isinstance(entry, dict):
                entries.append(entry)
    return entries


def start_record(log: str) -> dict[str, Any] | None:
    """etcd's own line on how it started: ``restarting local member`` (its data directory held a
    write-ahead log, which it resumes from, with the commit index it had reached) or ``starting local
    member`` (a first start, from nothing)."""
    return next(
        (e for e in log_entries(log) if e.get("msg") in ("restarting local member", "starting local member")), None
    )


LEADER_CHANGE = re.compile(r"raft\.node: \w+ (?:elected leader|changed leader from \w+ to) (\w+) at term (\d+)")


def leader_changes(log: str) -> list[tuple[datetime, str, int]]:
    """When the member that wrote ``log`` saw a new leader: (time, leader id, term), from Raft's own lines."""
    found = []
    for entry in log_entries(log):
        if match := LEADER_CHANGE.search(str(entry.get("msg", ""))):
            found.append((datetime.fromisoformat(entry["ts"].replace("Z", "+00:00")), match[1], int(match[2])))
    return found


# --- Disruption budgets, read to explain ------------------------------------------------------------------


def scaled(value: int | str, total: int) -> int:
    """An int-or-percent of ``total``, rounded up, as the disruption controller scales a budget's field."""
    if isinstance(value, int):
        return value
    return -(-int(value.rstrip("%")) * total // 100)


def members_it_lets_go(budget: Any, total: int = MEMBERS) -> int:
    """How many of ``total`` Ready members a budget lets be disrupted at once."""
    if budget.spec.max_unavailable is not None:
        return min(total, scaled(budget.spec.max_unavailable, total))
    if budget.spec.min_available is not None:
        return max(0, total - scaled(budget.spec.min_available, total))
    return total


def budget_terms(budget: Any) -> str:
    """``minAvailable: 2`` or ``maxUnavailable: 50%``: what the budget asks."""
    if budget.spec.max_unavailable is not None:
        return f"maxUnavailable: {budget.spec.max_unavailable}"
    return f"minAvailable: {budget.spec.min_available}"


# --- A drain against the quorum ----------------------------------------------------------------------------


@dataclass(frozen=True)
class EvictionAttempt:
    """One eviction asked for: of which member, when (s since the drain began), and the API's answer."""

    member: str
    at: float
    status: int  # 201 evicted, 429 refused (a budget), 404 already gone
    cause: str = ""  # why, in the API server's words

    @property
    def accepted(self) -> bool:
        return self.status in (200, 201)


def eviction(namespace: str, member: str) -> dict[str, Any]:
    """The body ``POST .../pods/<member>/eviction`` takes."""
    return {"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": member, "namespace": namespace}}


def ask_eviction(cluster: Any, namespace: str, member: str) -> tuple[int, str]:
    """Ask the Eviction API to evict ``member``, as ``kubectl drain`` does for each pod: the HTTP status,
    and the cause the API server gives for a refusal."""
    try:
        cluster.core.create_namespaced_pod_eviction(member, namespace, eviction(namespace, member), _request_timeout=10)
    except client.ApiException as error:
        return error.status, refusal_cause(error.body)
    return 201, ""


def refusal_cause(body: str | bytes | None) -> str:
    """The Status's message and its causes' messages (the budget, its needs) in one line."""
    with contextlib.suppress(ValueError, TypeError):
        status = json.loads(body or "")
        causes = [c.get("message", "") for c in (status.get("details") or {}).get("causes") or []]
        return " ".join([status.get("message", ""), *causes]).strip()
    return ""


def writer_pod(namespace: str, image: str, every: float = 0.2) -> dict[str, Any]:
    """A client on the real node that writes to etcd every ``every`` s through all three members' names
    (etcdctl goes to another member when one does not answer) and prints ``start end ok|fail`` per write,
    in seconds of the wall clock."""
    put = f"etcdctl --endpoints={client_urls(namespace, member_names())} --dial-timeout=1s --command-timeout=2s"
    script = (
        "i=0; while :; do i=$((i+1)); s=$EPOCHREALTIME; "
        f"if {put} put /drain/writes $i >/dev/null 2>&1; then r=ok; else r=fail; fi; "
        f'echo "$s $EPOCHREALTIME $r"; sleep {every}; done'
    )
    container = {"name": "writer", "image": image, "command": ["sh", "-c", script]}
    spec = on_real_node({"terminationGracePeriodSeconds": 0, "containers": [container]})
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "writer", "labels": {"app": "writer"}},
        "spec": spec,
    }


@dataclass(frozen=True)
class Write:
    start: float  # wall clock, s
    end: float
    ok: bool


def writes_in(log: str) -> list[Write]:
    """The writer's lines as ``Write``s (a line cut short when the pod stopped is left out)."""
    found = []
    for line in log.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] in ("ok", "fail"):
            with contextlib.suppress(ValueError):
                found.append(Write(float(parts[0]), float(parts[1]), parts[2] == "ok"))
    return found


def longest_silence(writes: list[Write], start: float, end: float) -> float:
    """The longest time between ``start`` and ``end`` (wall clock) in which no write was acknowledged."""
    acknowledged = sorted(w.end for w in writes if w.ok and start <= w.end <= end)
    marks = [start, *acknowledged, end]
    return max(b - a for a, b in zip(marks, marks[1:], strict=False))


def start_writer(cluster: Any, namespace: str, image: str, wait: bool = True, timeout: float = 60) -> None:
    """Start the writer and, unless told not to ``wait``, wait until it has logged an acknowledged write."""
    cluster.core.create_namespaced_pod(namespace, writer_pod(namespace, image))
    if wait:
        wait_for_writer(cluster, namespace, timeout)


def wait_for_writer(cluster: Any, namespace: str, timeout: float = 60) -> None:
    """Wait until the writer has logged an acknowledged write."""
    poll_until(
        lambda: writes_in(_writer_log(cluster, namespace)),
        lambda writes: any(w.ok for w in writes),
        what=f"the writer in {namespace} to log an acknowledged write",
        describe=lambda writes: f"{len(writes)} writes, none acknowledged",
        timeout=timeout,
        every=0.5,
    )


def _writer_log(cluster: Any, namespace: str) -> str:
    try:
        return pod_log(cluster, namespace, "writer")
    except client.ApiException:  # not started yet
        return ""


def stop_writer(cluster: Any, namespace: str) -> list[Write]:
    """Every write the writer logged; then the writer is deleted."""
    writes = writes_in(_writer_log(cluster, namespace))
    with contextlib.suppress(client.ApiException):
        cluster.core.delete_namespaced_pod("writer", namespace, grace_period_seconds=0)
    return writes


def ready_members(pods: list[Any]) -> dict[str, int]:
    """What a drain's recorder counts at each event: 1 per member that is live and Ready, and their sum."""
    counts = dict.fromkeys(member_names(), 0)
    for pod in live(pods):
        if pod.metadata.name in counts and is_ready(pod):
            counts[pod.metadata.name] = 1
    return {**counts, "ready": sum(counts.values())}


@dataclass
class Drain:
    """What a drain did: the evictions asked for, the members' readiness over time, the writes meanwhile."""

    recorder: Recorder
    attempts: list[EvictionAttempt] = field(default_factory=list)
    writes: list[Write] = field(default_factory=list)
    began: float = 0.0  # wall clock at the recorder's start (its timeline's 0)
    ended: float = 0.0  # wall clock once every member was back, or the deadline passed
    finished: bool = False  # every member it was given was evicted
    stuck: bool = False  # it stopped early: every member Ready, and still every eviction refused

    @property
    def evicted(self) -> list[str]:
        return [a.member for a in self.attempts if a.accepted]

    @property
    def failed(self) -> list[EvictionAttempt]:
        """Evictions that were neither accepted nor refused by a budget (kubectl drain stops on these)."""
        return [a for a in self.attempts if a.status not in (0, 200, 201, 404, 429)]

    @property
    def refused(self) -> list[EvictionAttempt]:
        return [a for a in self.attempts if a.status == 429]

    @property
    def fewest_ready(self) -> int:
        return self.recorder.timeline.lowest("ready")

    def ready_at(self, at: float) -> int:
        """How many members were Ready ``at`` s after the start, as the watch last saw it."""
        samples = [s for s in self.recorder.timeline.samples if s.at <= at]
        return samples[-1].counts["ready"] if samples else MEMBERS

    @property
    def refused_while_away(self) -> list[EvictionAttempt]:
        """The refusals asked while at least one member was away."""
        return [a for a in self.refused if self.ready_at(a.at) < MEMBERS]

    def wall(self, at: float) -> float:
        return self.began + at

    @property
    def silence(self) -> float:
        """The longest stretch of the drain with no write acknowledged."""
        first = min((a.at for a in self.attempts), default=0.0)
        return longest_silence(self.writes, self.wall(first), self.ended)

    @property
    def writes_during(self) -> list[Write]:
        first = self.wall(min((a.at for a in self.attempts), default=0.0))
        return [w for w in self.writes if first <= w.start <= self.ended]


STUCK_S = 2.0  # how long the API server must count every member healthy and still refuse, before the drain stops
NEEDS = re.compile(r"needs (\d+) healthy pods and has (\d+) currently")


def never_allowed(cause: str, members: int = MEMBERS) -> bool:
    """True when a refusal says the budget has every member healthy and needs as many or more: no eviction
    will ever be accepted, since nothing is away for the budget to wait for."""
    match = NEEDS.search(cause)
    return match is not None and int(match[2]) >= members and int(match[1]) >= int(match[2])


def _evict_each(
    cluster: Any, namespace: str, drain: Drain, members: list[str], timeout: float, every: float, stop_stuck: bool
) -> None:
    """Every member once, as kubectl drain does; a refused one is asked again every ``every`` s. With
    ``stop_stuck``, once the API server has refused every eviction for ``STUCK_S`` on end while counting every
    member healthy (``never_allowed``), the drain stops, stuck. An API call that fails for want of an answer
    (a busy machine) is asked again."""
    waiting, start = list(members), drain.recorder.timeline.start
    deadline, stuck_since = time.monotonic() + timeout, None
    while waiting and time.monotonic() < deadline:
        accepted = 0
        for member in list(waiting):
            try:
                status, cause = ask_eviction(cluster, namespace, member)
            except Exception as error:  # the client's own timeout, on a busy machine: asked again next round
                status, cause = 0, f"no answer: {error}"
            drain.attempts.append(EvictionAttempt(member, time.monotonic() - start, status, cause))
            if status not in (0, 429):  # evicted, gone already, or an error kubectl drain would stop on
                waiting.remove(member)
                accepted += 1
        refusals = [a for a in drain.attempts[-len(waiting) :] if a.status == 429] if waiting else []
        if stop_stuck and waiting and not accepted and refusals and all(never_allowed(a.cause) for a in refusals):
            stuck_since = stuck_since or time.monotonic()
            if time.monotonic() - stuck_since >= STUCK_S:
                drain.stuck = True
                break
        else:
            stuck_since = None
        if waiting:
            time.sleep(every)
    drain.finished = set(drain.evicted) >= set(members)


def drain_members(
    cluster: Any,
    namespace: str,
    members: list[str] | None = None,
    timeout: float = 45,
    every: float = 0.5,
    back_within: float = 30,
    stop_stuck: bool = True,
) -> Drain:
    """Evict ``members`` (default: all) through the Eviction API, asking again after each refusal for up to
    ``timeout`` s (less when a budget will never allow one: ``_evict_each``), while a watch records which
    members are Ready; then wait up to ``back_within`` s for every member to be back and Ready."""
    members = members or member_names()
    recorder = Recorder(cluster.core.list_namespaced_pod, ready_members, namespace=namespace, label_selector=SELECTOR)
    drain = Drain(recorder, began=time.time() - recorder.timeline.elapsed())
    original = {p.metadata.name: p.metadata.uid for p in recorder.objects}
    worker = threading.Thread(
        target=_evict_each, args=(cluster, namespace, drain, members, timeout, every, stop_stuck), daemon=True
    )
    worker.start()

    def over(pods: list[Any]) -> bool:
        renewed = {p.metadata.name for p in live(pods) if p.metadata.uid != original.get(p.metadata.name)}
        return not worker.is_alive() and set(drain.evicted) <= renewed and ready_members(pods)["ready"] == MEMBERS

    deadline = time.monotonic() + timeout + back_within
    while True:
        try:  # in slices of a second: the worker's end is no event of the watch
            recorder.follow(over, what="every evicted member back and Ready", timeout=1)
            break
        except WaitTimeout:
            if time.monotonic() > deadline:
                break
    worker.join()
    drain.ended = time.time()
    return drain


def ready_spans(times: list[float], values: list[int], end: float) -> list[tuple[float, float]]:
    """The (start, length) of each stretch in which ``values`` was 1, the last one lasting until ``end``."""
    spans, since = [], None
    for at, value in zip([*times, end], [*values, 0], strict=True):
        if value and since is None:
            since = at
        elif not value and since is not None:
            spans.append((since, at - since))
            since = None
    return spans


def plot_drain(drain: Drain, title: str) -> Any:
    """A row per member, shaded while it was Ready, with each eviction asked (a dot: evicted, a cross:
    refused); a row below for the writes (a tick per write: acknowledged above, failed below)."""
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(8, 3.6))
    timeline, names = drain.recorder.timeline, member_names()
    end = max(drain.ended - drain.began, *timeline.times) + 0.5
    for row, name in enumerate(names):
        axes.broken_barh(
            ready_spans(timeline.times, timeline.values(name), end), (row - 0.3, 0.6), color="tab:green", alpha=0.35
        )
        mine = [a for a in drain.attempts if a.member == name]
        axes.scatter(
            [a.at for a in mine if a.accepted],
            [row] * sum(a.accepted for a in mine),
            marker="o",
            color="black",
            zorder=3,
        )
        refused = [a.at for a in mine if a.status == 429]
        axes.scatter(refused, [row] * len(refused), marker="x", color="tab:red", zorder=3)
    ok = [w.end - drain.began for w in drain.writes if w.ok]
    failed = [w.end - drain.began for w in drain.writes if not w.ok]
    axes.scatter(ok, [-0.85] * len(ok), marker="|", color="tab:blue", s=60)
    axes.scatter(failed, [-1.15] * len(failed), marker="|", color="tab:red", s=60)
    axes.set_yticks([-1, *range(len(names))], ["writes", *names])
    axes.set(xlim=(0, end), ylim=(-1.5, len(names) - 0.4), xlabel="seconds since the drain began")
    axes.set_title(title, fontsize=10)
    handles = [
        plt.Rectangle((0, 0), 1, 1, color="tab:green", alpha=0.35, label="member Ready"),
        plt.Line2D([], [], marker="o", color="black", linestyle="", label="eviction accepted (201)"),
        plt.Line2D([], [], marker="x", color="tab:red", linestyle="", label="eviction refused (429)"),
        plt.Line2D([], [], marker="|", color="tab:blue", linestyle="", label="write acknowledged"),
    ]
    axes.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=4, frameon=False, fontsize=8)
    figure.tight_layout()
    plt.close(figure)
    return figure
