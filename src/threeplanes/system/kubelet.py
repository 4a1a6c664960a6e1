"""The kubelet as the API sees it and as it answers itself, for the lab S6.

``kubelet_get`` reads one of the kubelet's own endpoints (``configz``, ``pods``, ``metrics/resource``,
``stats/summary``) through the API server's node proxy; ``live_configuration`` decodes the
configuration the kubelet runs with. ``expected_allocatable`` redoes the kubelet's arithmetic for a
Node's allocatable (capacity minus ``kubeReserved``, ``systemReserved`` and the hard eviction
thresholds for memory and the node file system, then minus huge pages from memory), with
``threshold_amount`` turning ``100Mi`` or ``1%`` into a number the way the kubelet does (a percentage
is a 32-bit float there).

``watch_heartbeats`` samples the two heartbeats of a node, its Lease's ``renewTime`` and its Ready
condition's ``lastHeartbeatTime``, until each has changed often enough; ``intervals`` gives the time
between successive values. ``watch_runs`` follows one container of a pod through its restarts,
collecting each finished run (``Run``) from ``lastState``; ``restart_gaps`` gives the wait before each
restart. ``metric_samples`` reads one metric's samples out of the Prometheus text format.
"""

from __future__ import annotations

import json
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from kubernetes import client, watch
from kubernetes.utils import parse_quantity

from threeplanes.errors import LabError, WaitTimeout
from threeplanes.kit.effects import poll_until

# Hard eviction signals that the kubelet also holds back from allocatable (pkg/kubelet/cm/helpers.go at v1.36.4).
EVICTION_RESERVES = {"memory.available": "memory", "nodefs.available": "ephemeral-storage"}
HUGEPAGES_PREFIX = "hugepages-"
NODE_LEASE_NAMESPACE = "kube-node-lease"
# The kubelet renews its Lease every quarter of its duration (nodeLeaseRenewIntervalFraction, pkg/kubelet/kubelet.go).
RENEW_FRACTION = 0.25


def kubelet_get(cluster: Any, node: str, path: str, timeout: float = 15) -> str:
    """What ``node``'s kubelet answers on ``path``, through the API server's proxy ``/api/v1/nodes/<node>/proxy/``."""
    url = f"/api/v1/nodes/{node}/proxy/{path.lstrip('/')}"
    try:
        response = cluster.api_client.call_api(
            url,
            "GET",
            auth_settings=["BearerToken"],
            _preload_content=False,
            _request_timeout=timeout,
        )
    except client.ApiException as error:
        raise LabError(
            f"the API server could not reach {node}'s kubelet at {path}: {error.status} {error.body}"
        ) from error
    return response.data.decode()


def live_configuration(cluster: Any, node: str) -> dict:
    """The KubeletConfiguration ``node``'s kubelet runs with, defaults filled in (its ``/configz``)."""
    return json.loads(kubelet_get(cluster, node, "configz"))["kubeletconfig"]


def float32(value: float) -> float:
    """``value`` rounded to a 32-bit float, as Go's ``float32`` holds it."""
    return struct.unpack("f", struct.pack("f", value))[0]


def threshold_amount(threshold: str, capacity: Decimal) -> Decimal:
    """The amount an eviction threshold (``100Mi`` or ``1%``) stands for on a resource of ``capacity``.

    The kubelet keeps a percentage as a float32 fraction and truncates the product to an integer
    (``parsePercentage`` and ``GetThresholdQuantity`` in ``pkg/kubelet/eviction``).
    """
    if threshold.endswith("%"):
        fraction = float32(float32(float(threshold[:-1])) / 100)
        return Decimal(int(float(capacity) * fraction))
    return parse_quantity(threshold)


def reservations(capacity: dict[str, str], config: dict) -> dict[str, Decimal]:
    """What the kubelet holds back of each resource: ``kubeReserved`` + ``systemReserved`` + hard eviction."""
    held = {name: Decimal(0) for name in capacity}
    for reserved in (config.get("kubeReserved") or {}, config.get("systemReserved") or {}):
        for name, amount in reserved.items():
            held[name] = held.get(name, Decimal(0)) + parse_quantity(amount)
    for signal, threshold in (config.get("evictionHard") or {}).items():
        resource = EVICTION_RESERVES.get(signal)
        if resource in capacity:
            held[resource] += threshold_amount(threshold, parse_quantity(capacity[resource]))
    return held


def expected_allocatable(capacity: dict[str, str], config: dict) -> dict[str, Decimal]:
    """Allocatable as the kubelet computes it from its capacity and its configuration."""
    held = reservations(capacity, config)
    left = {name: max(parse_quantity(amount) - held[name], Decimal(0)) for name, amount in capacity.items()}
    hugepages = sum((parse_quantity(v) for k, v in capacity.items() if k.startswith(HUGEPAGES_PREFIX)), Decimal(0))
    left["memory"] -= hugepages
    return left


def quantities(resources: dict[str, str]) -> dict[str, Decimal]:
    """A ResourceList's quantities as numbers (cores, bytes, counts)."""
    return {name: parse_quantity(amount) for name, amount in resources.items()}


# --- Heartbeats ------------------------------------------------------------------------------


@dataclass
class Heartbeats:
    """Successive distinct values of a node's Lease ``renewTime`` and Ready ``lastHeartbeatTime``."""

    renewals: list[datetime] = field(default_factory=list)
    status_beats: list[datetime] = field(default_factory=list)

    def add(self, renewal: datetime, status_beat: datetime) -> Heartbeats:
        for seen, value in ((self.renewals, renewal), (self.status_beats, status_beat)):
            if not seen or seen[-1] != value:
                seen.append(value)
        return self


def ready_heartbeat(node: Any) -> datetime:
    """The ``lastHeartbeatTime`` of a Node's Ready condition."""
    (ready,) = [c for c in node.status.conditions if c.type == "Ready"]
    return ready.last_heartbeat_time


def watch_heartbeats(
    cluster: Any, node: str, renewals: int = 3, status_beats: int = 4, timeout: float = 60
) -> Heartbeats:
    """Sample ``node``'s Lease and Node status every half second until ``renewals`` and ``status_beats`` values."""
    seen = Heartbeats()

    def look() -> Heartbeats:
        lease = cluster.coordination.read_namespaced_lease(node, NODE_LEASE_NAMESPACE)
        return seen.add(lease.spec.renew_time, ready_heartbeat(cluster.core.read_node_status(node)))

    def enough(beats: Heartbeats) -> bool:
        return len(beats.renewals) >= renewals and len(beats.status_beats) >= status_beats

    def describe(beats: Heartbeats) -> str:
        return f"{len(beats.renewals)} lease renewals and {len(beats.status_beats)} status heartbeats"

    what = f"{renewals} renewals of {node}'s Lease and {status_beats} status heartbeats"
    return poll_until(look, enough, what=what, describe=describe, timeout=timeout, every=0.5).seen


def intervals(times: list[datetime]) -> list[float]:
    """Seconds between successive times (the first value is a starting point, not an interval)."""
    return [round((b - a).total_seconds(), 3) for a, b in zip(times, times[1:], strict=False)]


# --- Restarts --------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Run:
    """One finished run of a container, as the kubelet reported it (to the second)."""

    started: datetime
    finished: datetime
    exit_code: int


def container_status(pod: Any, container: str) -> Any | None:
    for status in pod.status.container_statuses or []:
        if status.name == container:
            return status
    return None


def runs_in(pod: Any, container: str) -> set[Run]:
    """The finished runs a pod's status shows for ``container``: its last state, and its state when terminated."""
    status = container_status(pod, container)
    found = set()
    for state in (status.last_state, status.state) if status else ():
        done = state.terminated if state else None
        if done and done.started_at and done.finished_at:
            found.add(Run(done.started_at, done.finished_at, done.exit_code))
    return found


def watch_runs(
    cluster: Any, namespace: str, pod: str, container: str, runs: int, since: str, timeout: float = 90
) -> list[Run]:
    """The first ``runs`` finished runs of ``container`` in ``pod``, in order.

    Every write to the pod since its ``resourceVersion`` ``since`` is replayed by a watch, so that
    a run seen only in an earlier status (``lastState`` keeps the latest run alone) is not missed.
    """
    seen: set[Run] = set()
    version = since
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        stream = watch.Watch().stream(
            cluster.core.list_namespaced_pod,
            namespace,
            field_selector=f"metadata.name={pod}",
            resource_version=version,
            timeout_seconds=max(1, int(left)),
        )
        for event in stream:
            found = event["object"]
            version = found.metadata.resource_version
            seen |= runs_in(found, container)
            if len(seen) >= runs:
                return sorted(seen)[:runs]
    raise WaitTimeout(
        f"{runs} finished runs of container {container} in pod {pod}: not seen after {timeout:g} s;"
        f" last seen: {len(seen)} runs"
    )


def restart_gaps(runs: list[Run]) -> list[float]:
    """Seconds between the end of each run and the start of the next: the kubelet's wait before a restart."""
    return [(b.started - a.finished).total_seconds() for a, b in zip(runs, runs[1:], strict=False)]


# --- Metrics ---------------------------------------------------------------------------------


def metric_samples(
    text: str, name: str, keep: Callable[[dict[str, str]], bool] = lambda labels: True
) -> list[tuple[dict[str, str], float]]:
    """The samples of metric ``name`` in a Prometheus text exposition, with their labels, kept by ``keep``."""
    samples = []
    for line in text.splitlines():
        if not line.startswith(name) or line.startswith("#"):
            continue
        head, _, rest = line.partition("} ") if "{" in line else line.partition(" ")
        metric, _, label_text = head.partition("{")
        if metric != name:
            continue
        labels = dict(_label_pairs(label_text))
        if keep(labels):
            samples.append((labels, float(rest.split()[0])))
    return samples


def _label_pairs(text: str) -> list[tuple[str, str]]:
    pairs = []
    for part in text.split('",'):
        if "=" in part:
            key, _, value = part.partition("=")
            pairs.append((key.strip(), value.strip().strip('"')))
    return pairs
