"""The cost of a control plane, measured as its cluster grows, and the share of a cluster it takes (lab A3).

The lab ``a3-control-plane-cost`` starts a control plane of its own (``start_plane``: etcd,
kube-apiserver, kube-scheduler, kube-controller-manager, and kwok's controller to simulate the
nodes) and grows it from 10 to 100 to 1,000 simulated nodes with a pod on each. At each step it
measures every component's process with psutil over a window of one lease period: the CPU time it
used (in cores) and its resident memory (RSS), never an estimate. kwok's controller is measured
and reported apart: it stands in for the nodes' kubelets and is no part of a control plane.

What kwok costs the control plane, against a real node: kwok renews each node's Lease every 10 s,
as a kubelet does (``HEARTBEAT_CONFIG`` asks for the kubelet's 40-s lease; kwokctl's own default is
five times slower), posts a node's status every ten minutes or so (a kubelet: every five minutes
when nothing changed), and moves each pod to Running with one status update. It is one client with
a few watches for all the nodes; each real node adds a kubelet and a kube-proxy with watches of
their own, events and larger Node objects. The figures measured here are therefore a floor.

Fast, on two cores: Node objects are registered with their status already filled in (as a kubelet
registers its own), so that kwok need not write each one again; the pods are created once kwok holds
every node's Lease (kwok skips a pod whose node it does not hold yet, and may not come back to it);
thousands of small writes go out through the connection's own pool of HTTPS connections, 16 at a
time (``Writer``), and the waits ask the API server's cache (``resourceVersion=0``) for the
objects' metadata only.

``Measurements`` keeps the steps; ``per_replica(nodes)`` reads them as straight lines between the
steps (the last line continued beyond the last step). The calculator (``overhead``,
``smallest_cluster``, ``floor_share``) turns them into the share of a cluster the control plane
takes, counted by machines (as the barrier counts: 3 control-plane machines of 10 are 30 %) and by
the resources its processes measured here use. The lab records its figures on this machine
(``save``), where the exercise ``a3-size-control-plane`` reads them (``figures_for_sizing``, which
takes a quick measurement of its own when the lab never ran here).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil
from filelock import FileLock

from threeplanes.barriers.checklist import machine_share
from threeplanes.errors import LabError
from threeplanes.kit.connect import Cluster
from threeplanes.kit.control_plane import Node
from threeplanes.kit.effects import poll_until
from threeplanes.kit.lab_planes import LabPlane, lab_control_plane, planes_root
from threeplanes.kit.nodes import node_is_ready  # a node as the API's JSON, too
from threeplanes.kit.tables import Table
from threeplanes.versions import pinned

PLANE_COMPONENTS = ("etcd", "kube-apiserver", "kube-scheduler", "kube-controller-manager")
SIMULATOR = "kwok-controller"  # measured, and reported apart: it plays the kubelets
NODE_STEPS = (10, 100, 1000)
PODS_PER_NODE = 1
LEASE_SECONDS = 40  # the kubelet's nodeLeaseDurationSeconds; a lease is renewed every quarter of it
RENEW_SECONDS = LEASE_SECONDS / 4
JITTER = 0.04  # kwok, like the kubelet's lease controller, adds up to 4 % to each renewal period
WINDOW = round(RENEW_SECONDS * (1 + JITTER), 1)  # one renewal period and its jitter: every Lease renews in it
WRITERS = 16  # requests in flight while the nodes and pods are created
MAX_NODES = 5000  # the largest cluster Kubernetes supports (Considerations for large clusters)
NODE_CPU, NODE_MEMORY = "4", "16Gi"  # what each simulated node offers (it changes nothing the plane does)
MIB = 2**20

# The lab's kwokctl configuration. Heartbeats at the kubelet's pace: a 40-s node Lease, which kwok renews
# every 10 s (a quarter of it, like the kubelet), without kwokctl's heartbeatFactor of 5; the node
# lifecycle controller at its v1.36 defaults (--node-monitor-period 5s, --node-monitor-grace-period 50s).
# kwok itself (the simulator, not measured as control plane) moves 16 pods and renews 16 leases at a time
# instead of 4, so that it keeps up with 1,000 nodes on a busy machine; its other options are written out
# at kwok's own defaults, which a KwokConfiguration passed through kwokctl does not get (kwok v0.8.0 exits
# on a parallelism of 0).
HEARTBEAT_CONFIG = """\
apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokctlConfiguration
options:
  bindAddress: 127.0.0.1
  heartbeatFactor: 1
  nodeLeaseDurationSeconds: 40
  kubeControllerManagerNodeMonitorPeriodMilliseconds: 5000
  kubeControllerManagerNodeMonitorGracePeriodMilliseconds: 50000
---
apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokConfiguration
options:
  cidr: 10.0.0.0/24
  podPlayStageParallelism: 16
  nodePlayStageParallelism: 4
  nodeLeaseParallelism: 16
  podsOnNodeSyncParallelism: 1
  enablePodsOnNodeSyncListPager: true
"""

JSON = "application/json"
METADATA_ONLY = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
NODE_LEASES = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases"


# --- the control plane and its processes ---------------------------------------------------------------


def start_plane(lab: str, timeout: float = 120) -> LabPlane:
    """A control plane of ``lab``'s own, started with ``HEARTBEAT_CONFIG`` (heartbeats at the kubelet's pace)."""
    with tempfile.TemporaryDirectory(prefix="a3-kwokctl-") as folder:
        config = Path(folder) / "kwokctl.yaml"
        config.write_text(HEARTBEAT_CONFIG)
        return lab_control_plane(lab, config=config, timeout=timeout)


def plane_processes(own: LabPlane) -> dict[str, psutil.Process]:
    """The running process of each component of ``own`` (the control plane's four and kwok's), by name."""
    found = {p.name: psutil.Process(p.pid) for p in own.plane.processes() if p.running}
    missing = [name for name in (*PLANE_COMPONENTS, SIMULATOR) if name not in found]
    if missing:
        raise LabError(f"the control plane of {own.lab} has no running {', '.join(missing)}: start it again.")
    return {name: found[name] for name in (*PLANE_COMPONENTS, SIMULATOR)}


# --- nodes and pods, thousands of them -----------------------------------------------------------------


def node_name(index: int) -> str:
    return f"node-{index:04d}"


def node_body(index: int, now: datetime | None = None) -> dict[str, Any]:
    """Simulated node ``index``, registered Ready: its status filled in, as a kubelet registers its Node."""
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = Node(node_name(index), zone=f"zone-{'abc'[index % 3]}", cpu=NODE_CPU, memory=NODE_MEMORY).body()
    conditions = [
        ("Ready", "True", "KubeletReady"),
        ("MemoryPressure", "False", "KubeletHasSufficientMemory"),
        ("DiskPressure", "False", "KubeletHasNoDiskPressure"),
        ("PIDPressure", "False", "KubeletHasSufficientPID"),
    ]
    body["status"]["allocatable"] = dict(body["status"]["capacity"])  # a copy: YAML shows it in full
    body["status"]["conditions"] = [
        {"type": kind, "status": status, "reason": reason, "lastHeartbeatTime": stamp, "lastTransitionTime": stamp}
        for kind, status, reason in conditions
    ]
    return body


def pod_body(index: int, replica: int = 0) -> dict[str, Any]:
    """A pod bound to node ``index`` by name (``nodeName``): no scheduling needed; kwok runs it there."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": f"load-{index:04d}-{replica}", "labels": {"app": "load"}},
        "spec": {"nodeName": node_name(index), "containers": [{"name": "app", "image": pinned().images["pause"]}]},
    }


class Writer:
    """Plain JSON requests through ``cluster``'s own connection pool (its TLS and credentials), many at a time.

    The typed client turns each object into model classes and back; for thousands of small writes that is
    more CPU than the API server spends on them, on a machine of two cores that both share."""

    def __init__(self, cluster: Cluster) -> None:
        configuration = cluster.api_client.configuration
        self.pool = cluster.api_client.rest_client.pool_manager
        self.host = configuration.host
        self.headers = {"Content-Type": JSON, "Accept": JSON}
        token = (configuration.api_key or {}).get("authorization")
        if token:
            prefix = (configuration.api_key_prefix or {}).get("authorization")
            self.headers["Authorization"] = f"{prefix} {token}" if prefix else token

    def request(self, method: str, path: str, body: dict | None = None, accept: str = JSON) -> tuple[int, bytes]:
        data = json.dumps(body).encode() if body is not None else None
        answer = self.pool.request(
            method, self.host + path, body=data, headers={**self.headers, "Accept": accept}, timeout=60
        )
        return answer.status, answer.data

    def get(self, path: str, accept: str = JSON) -> Any:
        status, data = self.request("GET", path, accept=accept)
        if status != 200:
            raise LabError(f"GET {path} answered {status}: {data[:200]!r}")
        return json.loads(data) if accept != "text/plain" else data.decode()

    def create(self, path: str, bodies: Iterable[dict], writers: int = WRITERS) -> int:
        """POST every body to ``path``, ``writers`` at a time; one already there counts as made. Return how many."""

        def post(body: dict) -> None:
            status, data = self.request("POST", path, body)
            if status not in (201, 409):
                raise LabError(f"POST {path} ({body['metadata']['name']}) answered {status}: {data[:200]!r}")

        with ThreadPoolExecutor(writers) as pool:
            return len(list(pool.map(post, bodies)))

    def count(self, path: str) -> int:
        """How many objects ``path`` lists, asked for one (``limit=1``): the API server counts the rest."""
        found = self.get(f"{path}?limit=1", accept=METADATA_ONLY)
        items = found.get("items") or []
        return len(items) + int(found["metadata"].get("remainingItemCount") or 0)

    def first(self, path: str, selector: str) -> str | None:
        """The name of one object ``path`` lists through the field ``selector``, or None when none matches."""
        found = self.get(f"{path}?limit=1&fieldSelector={selector}", accept=METADATA_ONLY)
        items = found.get("items") or []
        return items[0]["metadata"]["name"] if items else None


@dataclass(frozen=True)
class Growth:
    """How long one step took to build: the nodes registered, their leases held by kwok, the pods Running."""

    nodes: int
    pods: int
    nodes_s: float
    leases_s: float
    pods_s: float
    running_s: float

    @property
    def total_s(self) -> float:
        return self.nodes_s + self.leases_s + self.pods_s + self.running_s


def grow(writer: Writer, namespace: str, have: int, to: int, pods_per_node: int = PODS_PER_NODE) -> Growth:
    """Add nodes ``have``..``to - 1`` and their pods; wait until kwok holds every node's Lease and runs every pod."""
    if to <= have:
        raise LabError(f"the cluster has {have} nodes already; grow it to more than that, not {to}.")
    timeout = 60 + to * 0.3  # 1,000 nodes on a busy machine of two cores: a few minutes at worst
    started = time.monotonic()
    now = datetime.now(UTC)
    writer.create("/api/v1/nodes", (node_body(i, now) for i in range(have, to)))
    nodes_done = time.monotonic()
    poll_until(
        lambda: writer.count(NODE_LEASES),
        lambda leases: leases >= to,
        what=f"kwok to hold a Lease in kube-node-lease for each of the {to} nodes",
        describe=lambda leases: f"{leases} Lease(s)",
        timeout=timeout,
    )
    leases_done = time.monotonic()
    pods = f"/api/v1/namespaces/{namespace}/pods"
    writer.create(pods, (pod_body(i, r) for i in range(have, to) for r in range(pods_per_node)))
    pods_done = time.monotonic()
    poll_until(
        lambda: writer.first(pods, "status.phase!%3DRunning"),
        lambda pending: pending is None,
        what=f"kwok to report every one of the {to * pods_per_node} pods Running",
        describe=lambda pending: f"{pending} not Running yet, at least",
        timeout=timeout,
    )
    done = time.monotonic()
    return Growth(
        nodes=to,
        pods=to * pods_per_node,
        nodes_s=round(nodes_done - started, 1),
        leases_s=round(leases_done - nodes_done, 1),
        pods_s=round(pods_done - leases_done, 1),
        running_s=round(done - pods_done, 1),
    )


# --- measuring -----------------------------------------------------------------------------------------

SAMPLE = re.compile(r"^(?P<name>[A-Za-z_:][A-Za-z0-9_:]*)(?:\{(?P<labels>.*)\})?\s+(?P<value>\S+)")
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def metric_sum(text: str, name: str, **labels: str) -> float:
    """The sum of the samples of metric ``name`` (Prometheus text format) whose labels include ``labels``."""
    total = 0.0
    for line in text.splitlines():
        match = SAMPLE.match(line)
        if not match or match["name"] != name:
            continue
        found = dict(LABEL.findall(match["labels"] or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            total += float(match["value"])
    return total


def cpu_seconds(process: psutil.Process) -> float:
    """The CPU time ``process`` has used so far, user and system, in seconds."""
    times = process.cpu_times()
    return times.user + times.system


GRACE_SECONDS = 50  # --node-monitor-grace-period (v1.36 default): a node whose Lease is older turns Unknown


def renew_times(writer: Writer) -> list[datetime]:
    """When each node's Lease was last renewed (by kwok, whose clock is this machine's)."""
    leases = writer.get(f"{NODE_LEASES}?resourceVersion=0")["items"] or []
    return [datetime.fromisoformat(lease["spec"]["renewTime"]) for lease in leases]


@dataclass(frozen=True)
class Window:
    """One step's window: each component's CPU (cores, averaged over it) and RSS (MiB, at its end); of the
    nodes' Leases, how many were renewed in the window and how many within the grace period before its end;
    the nodes Ready at its end (the node lifecycle controller's verdict); and the watches the API server held
    open."""

    nodes: int
    pods: int
    seconds: float
    cpu: dict[str, float]
    memory: dict[str, float]
    renewed: int
    current: int
    ready: int
    watches: int

    def control_plane(self, of: str) -> float:
        """The sum over the control plane's four components of ``of`` (``cpu`` or ``memory``)."""
        return sum(getattr(self, of)[name] for name in PLANE_COMPONENTS)


def measure(own: LabPlane, writer: Writer, nodes: int, pods: int, window: float = WINDOW) -> Window:
    """Measure every component of ``own`` with psutil over ``window`` seconds; then read the nodes' Leases, the
    nodes' Ready conditions and the API server's count of open watches."""
    processes = plane_processes(own)
    before = {name: cpu_seconds(p) for name, p in processes.items()}
    started, opened = time.monotonic(), datetime.now(UTC)
    time.sleep(window)  # the measurement window itself, not a wait for anything
    seconds = time.monotonic() - started
    after = {name: cpu_seconds(p) for name, p in processes.items()}
    memory = {name: p.memory_info().rss / MIB for name, p in processes.items()}
    renewals, read = renew_times(writer), datetime.now(UTC)
    ready = sum(node_is_ready(node) for node in writer.get("/api/v1/nodes?resourceVersion=0")["items"] or [])
    metrics = writer.get("/metrics", accept="text/plain")
    return Window(
        nodes=nodes,
        pods=pods,
        seconds=round(seconds, 2),
        cpu={name: round((after[name] - before[name]) / seconds, 4) for name in processes},
        memory={name: round(value, 1) for name, value in memory.items()},
        renewed=sum(at >= opened for at in renewals),
        current=sum((read - at).total_seconds() <= GRACE_SECONDS for at in renewals),
        ready=ready,
        watches=int(metric_sum(metrics, "apiserver_longrunning_requests", verb="WATCH")),
    )


# --- the measurements, read as lines -------------------------------------------------------------------


def along(points: Sequence[tuple[float, float]], x: float) -> float:
    """``y`` at ``x`` on the straight lines between ``points`` (sorted by ``x``): the first point's ``y``
    below the first, the last line continued beyond the last; never below zero."""
    if not points:
        raise LabError("no measured point to read a figure from")
    if len(points) == 1 or x <= points[0][0]:
        return points[0][1]
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        if x <= x1:
            return y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    (x0, y0), (x1, y1) = points[-2], points[-1]
    return max(0.0, y1 + (y1 - y0) * (x - x1) / (x1 - x0))


@dataclass(frozen=True)
class Use:
    """What one copy of the control plane uses: CPU in cores, memory in MiB."""

    cpu: float
    memory: float


@dataclass(frozen=True)
class Measurements:
    """The steps of one run, when and on what they were measured, and by whom (the lab, or a checker)."""

    steps: tuple[Window, ...]
    when: str
    cpus: int
    source: str
    growth: tuple[Growth, ...] = field(default=())

    def points(self, of: str, component: str | None = None) -> list[tuple[float, float]]:
        steps = sorted(self.steps, key=lambda s: s.nodes)
        if component is None:
            return [(s.nodes, s.control_plane(of)) for s in steps]
        return [(s.nodes, getattr(s, of)[component]) for s in steps]

    def per_replica(self, nodes: int) -> Use:
        """One copy of the control plane (its four components) at ``nodes`` nodes, read along the steps."""
        return Use(along(self.points("cpu"), nodes), along(self.points("memory"), nodes))

    def per_node(self, of: str, component: str | None = None) -> float:
        """What one more node adds to ``of`` (cores or MiB), on the line through the last two steps."""
        (x0, y0), (x1, y1) = self.points(of, component)[-2:]
        return (y1 - y0) / (x1 - x0)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1)

    @classmethod
    def from_json(cls, text: str) -> Measurements:
        data = json.loads(text)
        return cls(
            steps=tuple(Window(**s) for s in data["steps"]),
            when=data["when"],
            cpus=data["cpus"],
            source=data["source"],
            growth=tuple(Growth(**g) for g in data.get("growth") or ()),
        )


def measurements(steps: Sequence[Window], source: str, growth: Sequence[Growth] = ()) -> Measurements:
    """The steps measured now, on this machine, by ``source``."""
    return Measurements(
        steps=tuple(steps),
        when=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        cpus=os.cpu_count() or 0,
        source=source,
        growth=tuple(growth),
    )


# --- the calculator ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Machine:
    """A machine's size: CPUs (cores) and memory (GiB)."""

    cpu: float
    memory_gib: float


@dataclass(frozen=True)
class Overhead:
    """The share of a cluster its control plane takes, as fractions: of the machines (the barrier's way to
    count), and of the CPU and the memory, by what the control plane's processes measured here use."""

    replicas: int
    workers: int
    machines: float
    cpu: float
    memory: float

    def of(self, by: str) -> float:
        return {"machines": self.machines, "cpu": self.cpu, "memory": self.memory}[by]


BY = ("machines", "cpu", "memory")


def overhead(measured: Measurements, replicas: int, worker: Machine, workers: int) -> Overhead:
    """The control plane's share of a cluster of ``workers`` machines of size ``worker``, with ``replicas``
    copies of the control plane, each using what one copy measured at ``workers`` nodes."""
    if replicas < 1 or workers < 1:
        raise LabError(f"a cluster has at least one control plane and one worker, not {replicas} and {workers}.")
    use = measured.per_replica(workers)
    cpu, memory = replicas * use.cpu, replicas * use.memory / 1024
    return Overhead(
        replicas=replicas,
        workers=workers,
        machines=machine_share(replicas, workers),
        cpu=cpu / (cpu + workers * worker.cpu),
        memory=memory / (memory + workers * worker.memory_gib),
    )


def smallest_cluster(
    measured: Measurements, replicas: int, worker: Machine, threshold: float, by: str = "machines"
) -> int | None:
    """The fewest workers at which the control plane's share ``by`` is at most ``threshold`` (a fraction);
    None when not within ``MAX_NODES`` workers, the largest cluster Kubernetes supports."""
    if not 0 < threshold < 1:
        raise LabError(f"a threshold is a share between 0 and 1 (0.1 for 10 %), not {threshold}.")
    if by not in BY:
        raise LabError(f"the share is counted by {', '.join(BY)}, not {by!r}.")
    for workers in range(1, MAX_NODES + 1):
        if overhead(measured, replicas, worker, workers).of(by) <= threshold:
            return workers
    return None


def floor_share(measured: Measurements, replicas: int, worker: Machine, by: str) -> float:
    """The share ``by`` (``cpu`` or ``memory``) the control plane tends to as workers are added: what each
    node adds to the control plane (the last line's slope, times the replicas) against what a worker brings."""
    slope = replicas * measured.per_node(by) / (1024 if by == "memory" else 1)
    size = worker.memory_gib if by == "memory" else worker.cpu
    return slope / (slope + size)


# --- what the lab shows ----------------------------------------------------------------------------------


def usage_table(measured: Measurements, of: str) -> Table:
    """One row per component (the control plane's sum, then kwok apart), one column per step: CPU in
    millicores (``of="cpu"``) or resident memory in MiB (``of="memory"``)."""
    steps = sorted(measured.steps, key=lambda s: s.nodes)
    scale, unit = (1000, "m") if of == "cpu" else (1, "MiB")
    rows = [[name] + [f"{getattr(s, of)[name] * scale:.0f}" for s in steps] for name in PLANE_COMPONENTS]
    rows.append(["control plane"] + [f"{s.control_plane(of) * scale:.0f}" for s in steps])
    rows.append([f"{SIMULATOR} (simulator)"] + [f"{getattr(s, of)[SIMULATOR] * scale:.0f}" for s in steps])
    return Table([f"{unit} at"] + [f"{s.nodes:,} nodes" for s in steps], rows)


def heartbeats_table(measured: Measurements) -> Table:
    """Per step: the nodes' Leases renewed in the window and within the grace period, the Ready nodes, and the
    API server's open watches."""
    rows = [
        [
            f"{s.nodes:,}",
            f"{s.renewed:,}",
            f"{s.renewed / s.nodes:.0%}",
            f"{s.current:,}",
            f"{s.ready:,}",
            str(s.watches),
        ]
        for s in sorted(measured.steps, key=lambda s: s.nodes)
    ]
    header = [
        "nodes",
        f"Leases renewed in the {WINDOW:g}-s window",
        "share",
        f"renewed in the last {GRACE_SECONDS} s",
        "Ready",
        "watches",
    ]
    return Table(header, rows)


def growth_table(measured: Measurements) -> Table:
    rows = [
        [f"{g.nodes:,}", f"{g.nodes_s:.1f}", f"{g.leases_s:.1f}", f"{g.pods_s:.1f}", f"{g.running_s:.1f}"]
        for g in measured.growth
    ]
    return Table(["nodes", "nodes created s", "leases held s", "pods created s", "pods Running s"], rows)


def per_node_table(measured: Measurements) -> Table:
    """What one more node added, per component, on the line through the last two steps."""
    rows = [
        [name, f"{measured.per_node('cpu', name) * 1e6:.0f}", f"{measured.per_node('memory', name) * 1024:.0f}"]
        for name in (*PLANE_COMPONENTS, SIMULATOR)
    ]
    rows.append(
        [
            "control plane",
            f"{measured.per_node('cpu') * 1e6:.0f}",
            f"{measured.per_node('memory') * 1024:.0f}",
        ]
    )
    return Table(["component", "µcores per node", "KiB per node"], rows)


def overhead_table(measured: Measurements, replicas: int, worker: Machine, sizes: Iterable[int]) -> Table:
    rows = []
    for workers in sizes:
        share = overhead(measured, replicas, worker, workers)
        use = measured.per_replica(workers)
        rows.append(
            [
                f"{workers:,}",
                f"{replicas} × ({use.cpu * 1000:.0f}m, {use.memory:.0f} MiB)",
                f"{share.machines:.1%}",
                f"{share.cpu:.2%}",
                f"{share.memory:.2%}",
            ]
        )
    return Table(["workers", "control plane measured", "by machines", "by CPU used", "by memory used"], rows)


def chart(measured: Measurements) -> Any:
    """CPU and memory of each component against the nodes, as measured in this run; kwok dashed, apart."""
    import matplotlib.pyplot as plt

    figure, (cpu, memory) = plt.subplots(1, 2, figsize=(9, 3.6))
    for name in (*PLANE_COMPONENTS, SIMULATOR):
        style = {"linestyle": "--", "color": "grey"} if name == SIMULATOR else {}
        label = f"{name} (simulator)" if name == SIMULATOR else name
        xs = [x for x, _ in measured.points("cpu", name)]
        cpu.plot(xs, [y * 1000 for _, y in measured.points("cpu", name)], marker="o", label=label, **style)
        memory.plot(xs, [y for _, y in measured.points("memory", name)], marker="o", label=label, **style)
    for axes, unit in ((cpu, "CPU used (millicores)"), (memory, "resident memory (MiB)")):
        axes.set_xscale("log")
        axes.set_xlabel("simulated nodes (one pod each)")
        axes.set_ylabel(unit)
        axes.grid(True, alpha=0.3)
    memory.legend(fontsize=8)
    behind = [s for s in measured.steps if s.renewed < 0.95 * s.nodes]
    if behind:  # the machine could not keep the kubelet's pace: say so where the figure is read
        note = "; ".join(f"{s.renewed / s.nodes:.0%} of the Leases renewed at {s.nodes:,} nodes" for s in behind)
        cpu.set_title(f"{note} (a busy machine)", fontsize=8)
    figure.suptitle(
        f"Each component of a control plane, measured with psutil in this run on this machine "
        f"({measured.cpus} CPUs, {measured.when})",
        fontsize=9,
    )
    figure.tight_layout()
    plt.close(figure)
    return figure


# Published figures, each with its source (checked against the pages for Kubernetes v1.36 and etcd v3.6).
CLUSTER_LARGE = "https://kubernetes.io/docs/setup/best-practices/cluster-large/"
ETCD_HARDWARE = "https://etcd.io/docs/v3.6/op-guide/hardware/"
HA_TOPOLOGY = "https://kubernetes.io/docs/setup/production-environment/tools/kubeadm/ha-topology/"
KUBEADM_INSTALL = "https://kubernetes.io/docs/setup/production-environment/tools/kubeadm/install-kubeadm/"
# etcd's example machines, dedicated to etcd, for the Kubernetes cluster each is sized for: nodes, vCPUs, GB.
ETCD_EXAMPLES = ((50, 2, 8), (250, 4, 16), (1000, 8, 32), (3000, 16, 64))


def published_table(measured: Measurements) -> Table:
    """The upstream figures beside what this run measured, each with its source."""
    top = max(measured.steps, key=lambda s: s.nodes)
    etcd_rows = []
    for nodes, vcpus, gigabytes in ETCD_EXAMPLES:
        use_cpu = along(measured.points("cpu", "etcd"), nodes)
        use_memory = along(measured.points("memory", "etcd"), nodes)
        here = f"etcd: {use_cpu * 1000:.0f}m, {use_memory:.0f} MiB"
        if nodes > top.nodes:
            here += " (line continued)"
        etcd_rows.append([f"etcd machine for a {nodes:,}-node cluster", f"{vcpus} vCPUs, {gigabytes} GB", here])
    return Table(
        ["figure", "published", "measured here"],
        [
            ["nodes per cluster", "at most 5,000", f"{top.nodes:,} simulated"],
            ["pods per node", "at most 110", f"{PODS_PER_NODE}"],
            ["pods per cluster", "at most 150,000", f"{top.pods:,}"],
            ["containers per cluster", "at most 300,000", f"{top.pods:,} (one a pod)"],
            ["control-plane instances", "1 or 2 per failure zone; scale up, then out", "1"],
            ["HA control plane (kubeadm)", "3 stacked, or 3 + 3 etcd hosts", "1"],
            ["any machine (kubeadm)", "2 CPUs, 2 GB of RAM or more", f"{measured.cpus} CPUs, shared"],
            *etcd_rows,
        ],
    )


# --- the record the exercise reads -----------------------------------------------------------------------


def record_path() -> Path:
    """Where this machine keeps the last figures measured (by the lab, or by the exercise's setup)."""
    return planes_root().parent / "barriers" / "a3-control-plane-cost.json"


def save_figures(measured: Measurements, path: Path | None = None) -> Path:
    path = path or record_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_suffix(".part")
    part.write_text(measured.to_json() + "\n")
    part.replace(path)
    return path


def load_figures(path: Path | None = None) -> Measurements | None:
    """The figures recorded on this machine; None when there are none (or they cannot be read)."""
    try:
        return Measurements.from_json((path or record_path()).read_text())
    except (OSError, ValueError, KeyError, TypeError):
        return None


def measure_plane(
    lab: str,
    steps: Sequence[int],
    window: float = WINDOW,
    say: Callable[[str], None] = lambda line: None,
) -> Measurements:
    """Start a control plane for ``lab``, grow it through ``steps`` with a pod a node, measure each step,
    remove the plane; return the figures (not recorded)."""
    own = start_plane(lab)
    try:
        namespace = "load"
        own.cluster.core.create_namespace({"metadata": {"name": namespace}})
        writer, have, taken, built = Writer(own.cluster), 0, [], []
        for nodes in steps:
            built.append(grow(writer, namespace, have, nodes))
            taken.append(measure(own, writer, nodes, nodes * PODS_PER_NODE, window))
            say(f"{nodes} nodes measured")
            have = nodes
    finally:
        own.remove()
    return measurements(taken, lab, built)


QUICK_STEPS, QUICK_WINDOW = (10, 100), 3.0


def figures_for_sizing(lab: str = "exercise-a3-size-control-plane") -> Measurements:
    """The figures the exercise is judged on: those recorded on this machine (the lab's last run), or, when
    there are none, a quick measurement of 10 and 100 nodes on a control plane of ``lab``'s own, recorded.
    One run measures at a time; the others wait for its record."""
    found = load_figures()
    if found is not None:
        return found
    path = record_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path) + ".lock", timeout=300):
        found = load_figures()
        if found is None:
            found = measure_plane(lab, QUICK_STEPS, QUICK_WINDOW)
            save_figures(found)
    return found
