"""A2, containers: a program that was never meant for a container, made an image, then a Kubernetes workload.

The program is ``tally``, a visit counter in shell that ran for years on one machine, with the
habits of that machine: it reads its configuration from the file ``/etc/tally/tally.conf``, keeps
its count in the file ``visits`` of its working folder, asks its peer ``clock`` for the time of
each visit by that fixed host name, and answers 503 when the clock does not answer (the clock
takes ``CLOCK_SYNC_S`` seconds to start, so on the old machine tally started after it). Both
programs are busybox shell scripts served by busybox ``httpd`` as CGI pages: the book builds no
image with a Python interpreter, and its busybox image has a shell, ``httpd`` and ``wget``.

No registry is reachable, so the image is built here, as an OCI image layout, and imported into
the real node's containerd with ``ctr``, as the book's own images are, with the kit's
``threeplanes.kit.images``: the base is the busybox image the node already holds, read from
containerd's content store, and the program's files are one layer on top (``build_image``). The same
files give the same digest, so a second run finds the image and imports nothing.

The rest serves the lab and the exercise ``a2-container-ready``: the objects (a bare pod, the
Deployments, the ConfigMap, the Services, a volume on the real node and its claim), a visitor pod
that asks ``http://tally/`` every quarter of a second for as long as it lives and whose log, read
with the kubelet's timestamps, is the record of what each request got (``replies_since``), a
restart of tally and its clock, the clock last (``restart_clock_last``), and the chart of what the
visitor saw.

``ctr`` and a hostPath folder on this machine need the book's local cluster with its real node:
``require_real_node`` says so in one sentence elsewhere.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kubernetes.client import ApiException

from threeplanes.errors import LabError, NotOnThisCluster
from threeplanes.kit.control_plane import REAL_NODE_NAME, ImageFile, layer_tar, on_real_node, real_node_folder
from threeplanes.kit.effects import poll_until
from threeplanes.kit.events import wait_for_event
from threeplanes.kit.images import blob_path, held_digest, import_image, layout_archive, on_top, one_builder
from threeplanes.kit.kubectl import kubectl
from threeplanes.kit.labels import selector_string
from threeplanes.kit.manifests import app_deployment
from threeplanes.kit.pods import live, now, pod_log
from threeplanes.kit.tables import Table, table
from threeplanes.kit.traffic import REPLY_PREFIX, repeating_pod, timed_replies
from threeplanes.kit.wait import wait_for
from threeplanes.versions import pinned

IMAGE = "localhost/threeplanes/tally:1.0"
PROGRAM, PEER = "tally", "clock"  # the program, and the peer it asks for the time
PROGRAM_PORT = 8080  # where tally and clock listen
CONFIG_PATH = "/etc/tally/tally.conf"
GREETING = "Welcome to the town archive"
CONFIG_TEXT = f'# {CONFIG_PATH}, as it was on the old machine\nGREETING="{GREETING}"\n'
WORKDIR = "/var/lib/tally"
CLOCK_SYNC_S = 6
STATE_CLAIM = "tally-data"
VISITOR = "tally-visitor"

TALLY = f"""#!/bin/sh
# tally: counts the visits to the archive's front page. It ran for years on one
# machine, where its configuration, its data and its clock were always there.
CONF={CONFIG_PATH}
CLOCK=http://{PEER}:{PROGRAM_PORT}/
if [ ! -r "$CONF" ]; then
  echo "tally: cannot read $CONF: no such file" >&2
  exit 1
fi
. "$CONF"
if [ -z "$GREETING" ]; then
  echo "tally: $CONF sets no GREETING" >&2
  exit 1
fi
export GREETING CLOCK TALLY_HOME="$PWD"
echo "tally: $(cat visits 2>/dev/null || echo 0) visits so far, kept in $PWD/visits"
if stamp=$(wget -qO- "$CLOCK" 2>&1); then
  echo "tally: the clock says $stamp"
else
  echo "tally: cannot reach the clock at $CLOCK: $stamp" >&2
fi
echo "tally: serving on port {PROGRAM_PORT}"
httpd -f -p {PROGRAM_PORT} -h /usr/local/share/tally &
trap 'kill $!; exit 0' TERM INT
wait
"""

TALLY_PAGE = """#!/bin/sh
# GET / : one more visit, stamped with the clock's time.
cd "$TALLY_HOME" || exit 1
if ! stamp=$(wget -qO- "$CLOCK" 2>&1); then
  echo "tally: cannot reach the clock at $CLOCK: $stamp" >&2
  printf 'HTTP/1.0 503 Service Unavailable\\r\\n\\r\\nno clock\\n'
  exit 0
fi
n=$(( $(cat visits 2>/dev/null || echo 0) + 1 ))
echo "$n" > visits
printf 'Content-Type: text/plain\\r\\n\\r\\n%s: visit %s at %s (answered by %s)\\n' \\
  "$GREETING" "$n" "$stamp" "$(hostname)"
"""

CLOCK = f"""#!/bin/sh
# clock: tells the other programs the time. It syncs before it answers.
trap 'exit 0' TERM INT
echo "clock: syncing ({CLOCK_SYNC_S} s)"
sleep {CLOCK_SYNC_S} & wait $!
echo "clock: serving the time on port {PROGRAM_PORT}"
httpd -f -p {PROGRAM_PORT} -h /usr/local/share/clock &
trap 'kill $!; exit 0' TERM INT
wait
"""

CLOCK_PAGE = """#!/bin/sh
printf 'Content-Type: text/plain\\r\\n\\r\\n%s\\n' "$(date -u +%H:%M:%S)"
"""

# path in the image: (content, mode); None is a directory
PROGRAM_FILES: dict[str, tuple[str | None, int]] = {
    "usr": (None, 0o755),
    "usr/local": (None, 0o755),
    "usr/local/bin": (None, 0o755),
    "usr/local/bin/tally": (TALLY, 0o755),
    "usr/local/bin/clock": (CLOCK, 0o755),
    "usr/local/share": (None, 0o755),
    "usr/local/share/tally": (None, 0o755),
    "usr/local/share/tally/cgi-bin": (None, 0o755),
    "usr/local/share/tally/cgi-bin/index.cgi": (TALLY_PAGE, 0o755),
    "usr/local/share/clock": (None, 0o755),
    "usr/local/share/clock/cgi-bin": (None, 0o755),
    "usr/local/share/clock/cgi-bin/index.cgi": (CLOCK_PAGE, 0o755),
    "var/lib": (None, 0o755),
    "var/lib/tally": (None, 0o755),
}

# --- the cluster this needs ---------------------------------------------------------------------


def require_real_node(cluster: Any) -> None:
    """Raise ``NotOnThisCluster`` (one sentence) unless this is the book's local cluster with its real node Ready:
    the image is imported with ``ctr`` into the containerd of that node, on this machine."""
    if cluster.backend == "local" and cluster.can_show("running the program's image"):
        return
    raise NotOnThisCluster(
        f"this lab builds an image and imports it into the containerd of the book's real node {REAL_NODE_NAME}, "
        f"on this machine, and this cluster (backend: {cluster.backend}) has no such node: run `sudo make "
        "cluster` on Linux to start the book's local cluster with its real node."
    )


# --- the image ----------------------------------------------------------------------------------


def program_layer() -> bytes:
    """The program's files as one uncompressed, reproducible layer tarball (the kit's ``layer_tar``: every mtime
    is 0), written from a folder of their texts."""
    with tempfile.TemporaryDirectory() as folder:
        files = []
        for path, (text, mode) in PROGRAM_FILES.items():
            source = None
            if text is not None:
                source = Path(folder, path.replace("/", "_"))
                source.write_text(text)
            files.append(ImageFile(path, source=source, mode=mode))
        return layer_tar(tuple(files))


@dataclass(frozen=True)
class Layer:
    digest: str
    size: int
    made_by: str


@dataclass(frozen=True)
class BuiltImage:
    """An image built here and imported into the real node's containerd."""

    reference: str
    digest: str  # of its manifest
    id: str  # the digest of its configuration: the image ID the kubelet reports for a container (imageID)
    base: str
    layers: tuple[Layer, ...]
    config: dict[str, Any]
    reused: bool  # containerd already held this very image: nothing was imported
    seconds: float


def dockerfile(base: str) -> str:
    """What ``build_image`` does, as the Dockerfile a machine with Docker would build."""
    return (
        f"FROM {base}\n"
        "COPY tally clock /usr/local/bin/\n"
        "COPY tally-www/ /usr/local/share/tally/\n"
        "COPY clock-www/ /usr/local/share/clock/\n"
        f"WORKDIR {WORKDIR}\n"
        f'CMD ["{PROGRAM}"]\n'
    )


def image_layout(base: str, reference: str = IMAGE) -> tuple[dict[str, bytes], str]:
    """The files of the program's image as an OCI image layout, on ``base`` as the node holds it: the program's
    layer on top, the program as its command and its working folder set; and the image's manifest digest."""
    settings = {"Cmd": [PROGRAM], "WorkingDir": WORKDIR, "Entrypoint": None}
    return on_top(base, program_layer(), reference, settings, "COPY tally clock (threeplanes.barriers)")


def build_image(reference: str = IMAGE) -> BuiltImage:
    """Build the program's image on the node's busybox image and import it, unless containerd holds it already.

    The import is done under the image's lock, as the lab and the exercise's setup may build at once; the image
    is pinned (``io.cri-containerd.pinned``) so that the kubelet's image garbage collection keeps it."""
    began = time.monotonic()
    base = pinned().images["busybox"]
    files, digest = image_layout(base, reference)
    manifest = json.loads(files[blob_path(digest)])
    config = json.loads(files[blob_path(manifest["config"]["digest"])])
    made_by = [f"the node's {base}"] * (len(manifest["layers"]) - 1) + ["tally and clock, built here"]
    layers = tuple(Layer(x["digest"], x["size"], m) for x, m in zip(manifest["layers"], made_by, strict=True))
    with one_builder(reference, timeout=120):
        reused = held_digest(reference) == digest
        if not reused:
            import_image(reference, layout_archive(files), timeout=120)
    image_id = manifest["config"]["digest"]
    return BuiltImage(reference, digest, image_id, base, layers, config, reused, time.monotonic() - began)


def layers_table(image: BuiltImage) -> Table:
    """The image's layers, bottom first: digest, size, where each comes from."""
    return table(
        image.layers,
        {
            "LAYER": lambda x: x.digest[:19] + "…",
            "SIZE": lambda x: f"{x.size / 1024:,.0f} KiB",
            "FROM": lambda x: x.made_by,
        },
    )


# --- the objects --------------------------------------------------------------------------------


def container(image: str = IMAGE, **fields: Any) -> dict[str, Any]:
    """tally's container, its port named http; ``fields`` add to it."""
    return {"name": PROGRAM, "image": image, "ports": [{"containerPort": PROGRAM_PORT, "name": "http"}], **fields}


def bare_pod(name: str = PROGRAM) -> dict[str, Any]:
    """The image run as it is: one container, in a pod of its own, on the real node."""
    spec = {"containers": [container()], "restartPolicy": "Always"}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": on_real_node(spec)}


def clock_deployment() -> dict[str, Any]:
    """The peer, from the same image: already container-ready, it ends at once when asked to."""
    return app_deployment(PEER, {"containers": [{**container(), "name": PEER, "command": [PEER]}]})


def service(name: str, port: int) -> dict[str, Any]:
    """A Service ``name`` whose port ``port`` sends to the port named http of the pods ``app=<name>``."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {
            "selector": {"app": name},
            "ports": [{"name": "http", "port": port, "targetPort": "http"}],
        },
    }


def config_map(name: str = "tally-config") -> dict[str, Any]:
    """The old machine's configuration file, as the key ``tally.conf`` of a ConfigMap."""
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"tally.conf": CONFIG_TEXT}}


def state_folder(volume_name: str) -> Path:
    """Where the hostPath volume ``volume_name`` keeps its files, on the real node's (this machine's) disk."""
    return real_node_folder(volume_name)


def state_volume(name: str, namespace: str, labels: dict[str, str], claim: str = STATE_CLAIM) -> dict[str, Any]:
    """A 100Mi hostPath PersistentVolume on the real node, reserved for the claim ``claim`` of ``namespace``."""
    term = {"matchExpressions": [{"key": "kubernetes.io/hostname", "operator": "In", "values": [REAL_NODE_NAME]}]}
    spec = {
        "capacity": {"storage": "100Mi"},
        "accessModes": ["ReadWriteOnce"],
        "storageClassName": "",
        "persistentVolumeReclaimPolicy": "Retain",
        "hostPath": {"path": str(state_folder(name)), "type": "DirectoryOrCreate"},
        "nodeAffinity": {"required": {"nodeSelectorTerms": [term]}},
        "claimRef": {"namespace": namespace, "name": claim},
    }
    return {"apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": name, "labels": labels}, "spec": spec}


def state_claim(name: str = STATE_CLAIM) -> dict[str, Any]:
    """The claim for ``state_volume``: 100Mi, read-write by one node, of no storage class."""
    spec = {"storageClassName": "", "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "100Mi"}}}
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": name}, "spec": spec}


def remove_state_folder(volume_name: str) -> bool:
    """Remove the folder of a deleted hostPath volume from this machine's disk; True if there was one."""
    folder = state_folder(volume_name)
    if not folder.is_dir():
        return False
    shutil.rmtree(folder, ignore_errors=True)
    return True


# --- what the visitor sees ----------------------------------------------------------------------

VISIT = re.compile(r"visit (\d+) at \S+ \(answered by (\S+)\)")


def visitor_pod(url: str = f"http://{PROGRAM}/", interval: float = 0.25) -> dict[str, Any]:
    """A pod on the real node that GETs ``url`` every ``interval`` s and logs ``reply <what it got>``: the page,
    wget's error (a 503, a refused connection), or nothing when no answer came within two seconds."""
    ask = f'echo "{REPLY_PREFIX}$(timeout 2 wget -qO- {url} 2>&1 | tr -d "\\n")"'
    return repeating_pod(VISITOR, ask, interval, pinned().images["busybox"], container="visitor", real_node=True)


@dataclass(frozen=True)
class VisitorReply:
    """One request of the visitor: when the kubelet logged it, and what came back."""

    at: datetime
    text: str

    @property
    def visit(self) -> int | None:
        """The visit number tally answered, or None when it did not count one."""
        found = VISIT.search(self.text)
        return int(found.group(1)) if found else None

    @property
    def server(self) -> str | None:
        """The pod that answered a visit (tally says its host name), or None."""
        found = VISIT.search(self.text)
        return found.group(2) if found else None

    @property
    def kind(self) -> str:
        """``visit``, ``503`` (tally answered that it cannot reach its clock) or ``no answer``."""
        if self.visit is not None:
            return "visit"
        return "503" if " 503 " in self.text else "no answer"


def replies_since(cluster: Any, namespace: str, since: datetime, pod: str = VISITOR) -> list[VisitorReply]:
    """The visitor's replies logged after ``since`` (an aware datetime), read with the kubelet's timestamps."""
    seconds = max(1, int((now() - since).total_seconds()) + 2)
    log = container_log(cluster, namespace, pod, "visitor", timestamps=True, since_seconds=seconds)
    return [VisitorReply(r.at, r.pod) for r in timed_replies(log) if r.at > since]


def counted(replies: list[VisitorReply]) -> str:
    """``12 visit, 3 503, 2 no answer``, for a message."""
    counts = Counter(r.kind for r in replies)
    return ", ".join(f"{counts[k]} {k}" for k in ("visit", "503", "no answer") if counts[k]) or "no reply yet"


def wait_for_reply(
    cluster: Any, namespace: str, since: datetime, kind: str = "visit", timeout: float = 60, what: str = ""
) -> list[VisitorReply]:
    """Wait until the visitor logs a reply of ``kind`` after ``since``; every reply since then."""
    seen = poll_until(
        lambda: replies_since(cluster, namespace, since),
        lambda replies: any(r.kind == kind for r in replies),
        what=what or f"a reply of kind {kind!r} to the visitor's requests to http://{PROGRAM}/",
        describe=counted,
        timeout=timeout,
        every=0.5,
    )
    return seen.seen


def replies_until_visits(
    cluster: Any, namespace: str, since: datetime, visits: int = 3, timeout: float = 60
) -> list[VisitorReply]:
    """The visitor's replies from ``since`` until ``visits`` requests in a row were counted as visits."""

    def settled(replies: list[VisitorReply]) -> bool:
        kinds = [r.kind for r in replies]
        return len(kinds) >= visits and set(kinds[-visits:]) == {"visit"}

    return poll_until(
        lambda: replies_since(cluster, namespace, since),
        settled,
        what=f"{visits} visits in a row counted by tally",
        describe=counted,
        timeout=timeout,
        every=0.5,
    ).seen


def wait_for_visit_number(
    cluster: Any, namespace: str, since: datetime, number: int, timeout: float = 60
) -> VisitorReply:
    """Wait until the visitor logs, after ``since``, a visit numbered ``number``; that reply."""
    replies = poll_until(
        lambda: replies_since(cluster, namespace, since),
        lambda found: any(r.visit == number for r in found),
        what=f"visit number {number} counted by tally",
        describe=lambda found: f"{counted(found)}; visits {[r.visit for r in found if r.visit][-5:]}",
        timeout=timeout,
        every=0.5,
    ).seen
    return next(r for r in replies if r.visit == number)


def visits_by(replies: list[VisitorReply], pod: str) -> list[int]:
    return [r.visit for r in replies if r.server == pod and r.visit is not None]


def wait_for_visits_by(cluster: Any, namespace: str, pod: str, count: int, timeout: float = 60) -> list[int]:
    """Wait until pod ``pod`` has counted ``count`` visits of the visitor's (in the last minute); their numbers."""
    since = datetime.fromtimestamp(time.time() - 60, UTC)
    return poll_until(
        lambda: visits_by(replies_since(cluster, namespace, since), pod),
        lambda numbers: len(numbers) >= count,
        what=f"{count} visits counted by {pod}",
        timeout=timeout,
        every=0.5,
    ).seen


def last_visit_by(cluster: Any, namespace: str, pod: str, since: datetime) -> int:
    """The last visit number pod ``pod`` answered after ``since``."""
    return visits_by(replies_since(cluster, namespace, since), pod)[-1]


def wait_for_visit_by_another(
    cluster: Any, namespace: str, pod: str, since: datetime, timeout: float = 90
) -> VisitorReply:
    """Wait for the first visit after ``since`` counted by a pod other than ``pod``; that reply."""
    replies = poll_until(
        lambda: replies_since(cluster, namespace, since),
        lambda found: any(r.visit and r.server != pod for r in found),
        what=f"a visit counted by a pod other than {pod}",
        describe=counted,
        timeout=timeout,
        every=0.5,
    ).seen
    return next(r for r in replies if r.visit and r.server != pod)


# --- pods, restarts -----------------------------------------------------------------------------


def pods_of(cluster: Any, namespace: str, name: str, terminating: bool = False) -> list[Any]:
    """The pods of Deployment ``name``, by its selector: the live ones, or all of them with ``terminating``."""
    found = cluster.apps.read_namespaced_deployment(name, namespace)
    pods = cluster.core.list_namespaced_pod(namespace, label_selector=selector_string(found.spec.selector)).items
    return pods if terminating else live(pods)


def main_status(pod: Any, container_name: str = PROGRAM) -> Any | None:
    statuses = pod.status.container_statuses or []
    return next((s for s in statuses if s.name == container_name), statuses[0] if statuses else None)


def crashed(pod: Any) -> bool:
    """True when the pod's container has ended with an error and is not running again (yet)."""
    found = main_status(pod)
    last = found.last_state.terminated if found and found.last_state else None
    return bool(found and found.restart_count and last and last.exit_code and not found.state.running)


def wait_for_back_off(cluster: Any, namespace: str, pod: str, timeout: float = 60) -> tuple[Any, Any]:
    """Wait until the kubelet says it holds back pod ``pod``'s crashed container (its event ``BackOff``);
    the event and the pod as the kubelet reports it then."""
    event = wait_for_event(cluster, namespace, "BackOff", pod, timeout=timeout)
    found = wait_for(
        cluster.core.list_namespaced_pod,
        lambda pods: any(main_status(p) and main_status(p).restart_count for p in pods),
        what=f"a restart of pod {pod}'s container",
        describe=lambda pods: ", ".join(describe_pod(p) for p in pods) or "no such pod",
        timeout=timeout,
        namespace=namespace,
        field_selector=f"metadata.name={pod}",
    )
    return event, found[0]


def describe_pod(pod: Any) -> str:
    """A pod in a few words: its phase or its container's state, how its last run ended, its restarts."""
    found = main_status(pod)
    if found is None:
        return f"{pod.metadata.name}: {pod.status.phase}"
    state = found.state
    now_ = state.waiting.reason if state.waiting else ("running" if state.running else "terminated")
    last = found.last_state.terminated if found.last_state else None
    ended = f", last run ended {last.reason} (exit {last.exit_code})" if last else ""
    return f"{pod.metadata.name}: {now_}{ended}, {found.restart_count} restart(s)"


def stop_main_process(cluster: Any, namespace: str, pod: str) -> None:
    """Send SIGTERM to the first process of the pod's container, from inside it, as a crash would end it."""
    try:
        kubectl(f"exec -n {namespace} {pod} -c {PROGRAM} -- kill 1", cluster, show=False)
    except LabError as error:  # the exec ends with the container it runs in: killed, 137
        if "137" not in str(error):
            raise


def wait_for_restarts(cluster: Any, namespace: str, pod: str, restarts: int, timeout: float = 60) -> Any:
    """Wait until pod ``pod``'s container has been restarted ``restarts`` times and runs again; the pod."""
    return wait_for(
        cluster.core.list_namespaced_pod,
        lambda pods: any((s := main_status(p)) and s.restart_count >= restarts and s.state.running for p in pods),
        what=f"restart number {restarts} of pod {pod}'s container",
        describe=lambda pods: ", ".join(describe_pod(p) for p in pods) or "no such pod",
        timeout=timeout,
        namespace=namespace,
        field_selector=f"metadata.name={pod}",
    )[0]


def scale(cluster: Any, namespace: str, name: str, replicas: int) -> None:
    """Ask Deployment ``name`` for ``replicas`` replicas."""
    cluster.apps.patch_namespaced_deployment_scale(name, namespace, {"spec": {"replicas": replicas}})


def wait_for_no_pods(cluster: Any, namespace: str, names: tuple[str, ...], timeout: float = 60) -> None:
    """Wait until the Deployments ``names`` have no pod left, terminating ones included."""
    for name in names:
        poll_until(
            lambda name=name: pods_of(cluster, namespace, name, terminating=True),
            lambda pods: not pods,
            what=f"the pods of Deployment {name} gone",
            describe=lambda pods: ", ".join(p.metadata.name for p in pods),
            timeout=timeout,
            every=0.5,
        )


@dataclass(frozen=True)
class Restart:
    """When ``restart_clock_last`` asked tally to start, and then the clock."""

    tally_at: datetime
    clock_at: datetime


def started_a_container(pods: list[Any]) -> bool:
    """True when one of ``pods`` runs a container, an init container included."""
    every = [s for p in pods for s in (p.status.init_container_statuses or []) + (p.status.container_statuses or [])]
    return any(s.state and s.state.running for s in every)


def restart_clock_last(cluster: Any, namespace: str, timeout: float = 60) -> Restart:
    """Stop tally and its clock (both Deployments scaled to zero, their pods deleted with a grace period of one
    second, until every pod is gone), start tally, and start the clock once a container of tally's pod runs:
    the order the old server's boot never allowed. Each Deployment gets back its replicas, also when a step
    fails."""
    wanted = {n: cluster.apps.read_namespaced_deployment(n, namespace).spec.replicas or 1 for n in (PEER, PROGRAM)}
    try:
        for name in wanted:
            scale(cluster, namespace, name, 0)
            for pod in pods_of(cluster, namespace, name):  # stopped within a second, whatever their grace period
                cluster.core.delete_namespaced_pod(pod.metadata.name, namespace, grace_period_seconds=1)
        wait_for_no_pods(cluster, namespace, tuple(wanted), timeout)
        tally_at = now()
        scale(cluster, namespace, PROGRAM, wanted[PROGRAM])
        poll_until(
            lambda: pods_of(cluster, namespace, PROGRAM),
            started_a_container,
            what="a running container in tally's new pod",
            describe=lambda pods: ", ".join(describe_pod(p) for p in pods) or "no pod",
            timeout=timeout,
            every=0.5,
        )
    finally:
        clock_at = now()
        for name, replicas in wanted.items():
            scale(cluster, namespace, name, replicas)
    return Restart(tally_at, clock_at)


# --- the chart ----------------------------------------------------------------------------------

REPLY_KINDS = ("visit", "503", "no answer")
COLOURS = {"visit": "tab:green", "503": "tab:red", "no answer": "tab:grey"}


def plot_replies(runs: dict[str, tuple[Restart, list[VisitorReply]]], title: str) -> Any:
    """One row of dots per run (``runs``: label -> (restart, replies)): what each request got, at its time
    after tally was started; a bar marks when the clock was started."""
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(8, 1 + 0.8 * len(runs)))
    for row, (restart, replies) in enumerate(runs.values()):
        for kind in REPLY_KINDS:
            xs = [(r.at - restart.tally_at).total_seconds() for r in replies if r.kind == kind]
            axes.scatter(xs, [row] * len(xs), s=18, color=COLOURS[kind], label=kind if row == 0 else None)
        clock = (restart.clock_at - restart.tally_at).total_seconds()
        axes.plot([clock, clock], [row - 0.3, row + 0.3], color="black", linewidth=1.5)
    axes.set_yticks(range(len(runs)), list(runs))
    axes.set_ylim(-0.7, len(runs) - 0.3)
    axes.set_xlabel("seconds after tally was started (the bar: the clock started)")
    axes.set_title(title, fontsize=10)
    axes.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8)
    figure.tight_layout()
    return figure


def crash_log(cluster: Any, namespace: str, pod: str) -> str:
    """What a crash-looping container said: the log of its current run, or of the one before when the current
    one has not started (the runtime may already have removed older runs)."""
    for previous in (False, True):
        text = container_log(cluster, namespace, pod, previous=previous)
        if text.strip() and not text.startswith("unable to retrieve container logs"):
            return text
    return ""


def container_log(cluster: Any, namespace: str, pod: str, container_name: str = PROGRAM, **options: Any) -> str:
    """A container's log as the kubelet serves it (``options``: ``previous``, ``timestamps``, ``since_seconds``);
    "" when it has none (yet)."""
    try:
        return pod_log(cluster, namespace, pod, container_name, **options)
    except ApiException:
        return ""
