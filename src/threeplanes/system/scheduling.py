"""kube-scheduler seen from outside: its events, its metrics, where it put pods, and how fast.

The scheduler says what it did in three places. Its events: ``Scheduled`` on a pod it placed,
``FailedScheduling`` on one it could not, whose message counts the nodes each filter turned
down (``0/4 nodes are available: 2 Insufficient cpu, 2 node(s) didn't match Pod's node
affinity/selector.``), which ``rejections`` reads back as ``{reason: nodes}`` (``events_about``, the
kit's, named here too for the lab, lists a pod's events of one reason). Its metrics, in
Prometheus' text format on its secure port (``scheduler_metrics``). And the pods themselves:
``spec.nodeName`` once bound, counted per node or zone by ``per_node`` and ``per_zone``.

``bind_times`` follows pods with one list-then-watch and records when each was first seen
bound, for the throughput of a scheduler (``rate``, ``plot_throughput``). ``pod`` writes the
small pod manifests the lab and the exercise place, and ``create_pods`` creates many at once.
"""

from __future__ import annotations

import re
import ssl
import time
import urllib.request
from collections import Counter
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from threeplanes.errors import LabError
from threeplanes.kit.events import events_about as events_about
from threeplanes.kit.events import wait_for_event
from threeplanes.kit.metrics import Sample, parse_metrics, total
from threeplanes.kit.pods import live
from threeplanes.kit.resources import millicores
from threeplanes.kit.wait import Objects, pods_summary, wait_for
from threeplanes.versions import pinned

SCHEDULED = "Scheduled"
FAILED_SCHEDULING = "FailedScheduling"
ZONE = "topology.kubernetes.io/zone"
AVAILABLE = re.compile(r"^0/(\d+) nodes are available: (.*?)\.(?: |$)")
REASON = re.compile(r"^(\d+) (.+)$")


# --- what the scheduler says in its events -----------------------------------------------------------


def rejections(message: str) -> dict[str, int]:
    """How many nodes each filter turned down, read from a ``FailedScheduling`` message.

    ``0/4 nodes are available: 2 Insufficient cpu, 2 node(s) had untolerated taint {a: b}. ...``
    gives ``{"Insufficient cpu": 2, "node(s) had untolerated taint {a: b}": 2}``; what follows
    the first sentence (what preemption would do) is left out.
    """
    found = AVAILABLE.match(message or "")
    if not found:
        raise LabError(f"Not a FailedScheduling message of the form '0/N nodes are available: ...': {message!r}")
    counted = {}
    for part in found.group(2).split(", "):
        reason = REASON.match(part.strip())
        if reason:
            counted[reason.group(2)] = int(reason.group(1))
    return counted


def nodes_considered(message: str) -> int:
    """The N of ``0/N nodes are available``: how many nodes the scheduler looked at."""
    found = AVAILABLE.match(message or "")
    if not found:
        raise LabError(f"Not a FailedScheduling message of the form '0/N nodes are available: ...': {message!r}")
    return int(found.group(1))


def wait_for_failed_scheduling(cluster: Any, namespace: str, pod: str, timeout: float = 30) -> Any:
    """Wait for the ``FailedScheduling`` event about ``pod`` and return the latest (the scheduler retries)."""
    return wait_for_event(cluster, namespace, FAILED_SCHEDULING, pod, timeout=timeout, latest=True)


# --- what the scheduler says in its metrics ----------------------------------------------------------


@dataclass(frozen=True)
class Metrics:
    """One reading of a component's metrics: every sample, as the kit's ``parse_metrics`` reads them."""

    samples: tuple[Sample, ...]

    @classmethod
    def from_text(cls, text: str) -> Metrics:
        """Prometheus' text format, as ``/metrics`` serves it, into ``Metrics``."""
        return cls(tuple(parse_metrics(text)))

    def value(self, name: str, **labels: str) -> float:
        """The sum of the samples called ``name`` whose labels include ``labels`` (0 when there are none)."""
        return total(self.samples, name, **labels)

    def names(self, prefix: str = "") -> list[str]:
        return sorted({s.name for s in self.samples if s.name.startswith(prefix)})


def scheduler_metrics_url(scheduler_flags: Mapping[str, str]) -> str:
    """Where a scheduler started with ``scheduler_flags`` serves ``/metrics``: HTTPS on its ``--secure-port``."""
    port = scheduler_flags.get("secure-port")
    if not port:
        raise LabError("The scheduler's flags name no --secure-port: it serves no metrics this lab can read.")
    host = scheduler_flags.get("bind-address", "127.0.0.1")
    return f"https://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/metrics"


def read_metrics(url: str, timeout: float = 10) -> Metrics:
    """GET ``url`` and parse it. The scheduler's certificate is one it made for itself at start, which no CA
    signed: the loopback address is trusted as it is, and nothing else is read this way."""
    if not url.startswith("https://127.0.0.1:"):
        raise LabError(f"read_metrics reads a component on this machine's loopback address only, not {url}.")
    unverified = ssl.create_default_context()
    unverified.check_hostname, unverified.verify_mode = False, ssl.CERT_NONE  # self-signed, on 127.0.0.1
    with urllib.request.urlopen(url, context=unverified, timeout=timeout) as reply:
        return Metrics.from_text(reply.read().decode())


# --- where the pods went -----------------------------------------------------------------------------


def is_bound(pod: Any) -> bool:
    return bool(pod.spec.node_name)


def per_node(pods: Iterable[Any]) -> dict[str, int]:
    """How many of ``pods`` each node holds, by node name; the unbound under ``(pending)``."""
    counted = Counter(p.spec.node_name or "(pending)" for p in pods)
    return dict(sorted(counted.items()))


def per_zone(pods: Iterable[Any], nodes: Iterable[Any]) -> dict[str, int]:
    """How many of ``pods`` each zone holds (the nodes' ``topology.kubernetes.io/zone``)."""
    zone_of = {n.metadata.name: (n.metadata.labels or {}).get(ZONE, "?") for n in nodes}
    counted = Counter(zone_of.get(p.spec.node_name, "?") for p in pods if p.spec.node_name)
    return dict(sorted(counted.items()))


def cpu_requested(pods: Iterable[Any]) -> dict[str, int]:
    """The CPU the pods request on each node, in millicores."""
    total: Counter[str] = Counter()
    for pod in pods:
        if pod.spec.node_name:
            for container in pod.spec.containers:
                requests = (container.resources.requests if container.resources else None) or {}
                total[pod.spec.node_name] += millicores(requests.get("cpu", "0"))
    return dict(sorted(total.items()))


def overcommitted(pods: Iterable[Any], nodes: Iterable[Any]) -> dict[str, str]:
    """The nodes whose pods request more CPU than the node offers: ``{node: "2400m of 2000m"}``."""
    offered = {n.metadata.name: millicores(n.status.allocatable["cpu"]) for n in nodes}
    return {
        node: f"{asked}m of {offered[node]}m"
        for node, asked in cpu_requested(pods).items()
        if node in offered and asked > offered[node]
    }


def wait_until_placed(
    cluster: Any, namespace: str, selector: str, bound: int, pending: int = 0, timeout: float = 60
) -> Objects:
    """Wait until ``bound`` pods matching ``selector`` have a node and ``pending`` more are refused.

    A refused pod is one the default scheduler marked ``PodScheduled=False``; the reader's own
    scheduler marks nothing, so for its pods ``pending`` counts the pods without a node.
    """

    def settled(pods: Objects) -> bool:
        running = live(pods)
        placed = [p for p in running if is_bound(p)]
        return len(placed) == bound and len(running) == bound + pending

    return live(
        wait_for(
            cluster.core.list_namespaced_pod,
            settled,
            what=f"{bound} pod(s) {selector!r} in {namespace} placed"
            + (f" and {pending} left pending" if pending else ""),
            describe=lambda pods: f"{per_node(live(pods))}; {pods_summary(live(pods))}",
            timeout=timeout,
            namespace=namespace,
            label_selector=selector,
        )
    )


# --- pods to place -----------------------------------------------------------------------------------


def pod(name: str, labels: Mapping[str, str], cpu: str = "100m", scheduler: str | None = None, **spec: Any) -> dict:
    """A pod manifest of one container requesting ``cpu``; ``spec`` adds fields (camelCase, as in YAML)."""
    container = {"name": "main", "image": pinned().images["pause"], "resources": {"requests": {"cpu": cpu}}}
    body: dict[str, Any] = {"containers": [container], **spec}
    if scheduler:
        body["schedulerName"] = scheduler
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": dict(labels)}, "spec": body}


def create_pods(cluster: Any, namespace: str, bodies: Iterable[dict], workers: int = 8) -> int:
    """Create the pods ``bodies``, ``workers`` requests at a time; return how many."""
    with ThreadPoolExecutor(workers) as pool:
        done = list(pool.map(lambda body: cluster.core.create_namespaced_pod(namespace, body), bodies))
    return len(done)


# --- how fast --------------------------------------------------------------------------------------


def bind_times(cluster: Any, namespace: str, selector: str, count: int, timeout: float = 120) -> list[float]:
    """Watch the pods ``selector`` matches until ``count`` are bound; return when each was first seen bound
    (``time.monotonic()`` readings, sorted)."""
    seen: dict[str, float] = {}

    def record(pods: Objects) -> bool:
        now = time.monotonic()
        for p in pods:
            if p.spec.node_name and p.metadata.name not in seen:
                seen[p.metadata.name] = now
        return len(seen) >= count

    wait_for(
        cluster.core.list_namespaced_pod,
        record,
        what=f"{count} pod(s) {selector!r} in {namespace} to be bound to a node",
        describe=lambda pods: f"{len(seen)} bound of {len(pods)}",
        timeout=timeout,
        namespace=namespace,
        label_selector=selector,
    )
    return sorted(seen.values())


def scheduled_event_times(
    cluster: Any, namespace: str, prefix: str, count: int, scheduler: str = "default-scheduler", timeout: float = 60
) -> list[float]:
    """When ``scheduler`` bound each pod named ``prefix``…, by its own clock: the ``eventTime`` of its
    ``Scheduled`` events (to the microsecond), in seconds, sorted.

    A watcher's reading comes later than the binding by as long as the API server and the watcher take,
    which varies under load; the scheduler sets ``eventTime`` as the binding succeeds."""
    times: dict[str, float] = {}

    def record(items: Objects) -> bool:
        for event in items:
            name = event.involved_object.name or ""
            if event.reporting_component == scheduler and name.startswith(prefix) and event.event_time is not None:
                times.setdefault(name, event.event_time.timestamp())
        return len(times) >= count

    # The core API's view of events: the events.k8s.io client refuses the older events without eventTime.
    wait_for(
        cluster.core.list_namespaced_event,
        record,
        what=f"{count} Scheduled event(s) from {scheduler} for pods {prefix}* in {namespace}",
        describe=lambda items: f"{len(times)} found among {len(items)} event(s)",
        timeout=timeout,
        namespace=namespace,
        field_selector="reason=Scheduled",
    )
    return sorted(times.values())


def rate(times: list[float]) -> float:
    """Pods placed per second, from the first placement seen to the last."""
    if len(times) < 2 or times[-1] <= times[0]:
        raise LabError(f"A rate needs at least two placements at different times, not {len(times)}.")
    return (len(times) - 1) / (times[-1] - times[0])


def plot_throughput(series: Mapping[str, list[float]], title: str) -> Any:
    """Pods bound over time, one line per scheduler, each counted from its own first placement."""
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(7, 3.5))
    for name, times in series.items():
        axes.step([t - times[0] for t in times], range(1, len(times) + 1), where="post", label=f"{name}")
    axes.set_xlabel("seconds since the first placement")
    axes.set_ylabel("pods bound")
    axes.set_title(title)
    axes.legend()
    axes.grid(alpha=0.3)
    plt.close(figure)
    return figure
