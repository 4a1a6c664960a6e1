"""Metrics as a component serves them (Prometheus' text exposition format, read into samples), and the metrics API.

Every component (the API server, etcd, the scheduler, the kubelet, kube-proxy) serves its metrics
as text at ``/metrics``. ``parse_metrics`` reads such a page into ``Sample``\\ s (name, labels,
value); ``matching`` picks the samples of one series whose labels include some labels, and
``total`` adds them up. The system plane's modules (``monitoring``, ``proxy``, ``scheduling``)
read their components' pages with these.

What pods use is served apart, by metrics-server through the ``metrics.k8s.io`` API (the figures
``kubectl top pods`` shows): ``pod_usage`` reads a namespace's into ``Usage``\\ s (CPU in cores, memory in
bytes, a pod's containers summed), and ``wait_for_usage`` waits until some pods have one. The lab S11
(``system.monitoring``) and the lab A1 (``barriers.services``) read them with these.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kubernetes.utils.quantity import parse_quantity
from prometheus_client.parser import text_string_to_metric_families

from threeplanes.errors import LabError
from threeplanes.kit.effects import poll_until


@dataclass(frozen=True)
class Sample:
    """One line of a ``/metrics`` page: a series' name, its labels and its value now."""

    name: str
    labels: Mapping[str, str]
    value: float


def parse_metrics(text: str) -> list[Sample]:
    """Every sample of a ``/metrics`` page (Prometheus' text format); a page that is not one is refused."""
    try:
        return [
            Sample(sample.name, dict(sample.labels), float(sample.value))
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        ]
    except ValueError as error:
        raise LabError(f"this is not a page in Prometheus' text format: {error}") from None


def matching(samples: Iterable[Sample], name: str, **labels: str) -> list[Sample]:
    """The samples of the series ``name`` whose labels include ``labels``."""
    return [s for s in samples if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())]


def total(samples: Iterable[Sample], name: str, **labels: str) -> float:
    """The sum of the samples of ``name`` that carry ``labels`` (0 when none does, as for a counter not yet
    incremented, which a component does not show)."""
    return sum(s.value for s in matching(samples, name, **labels))


# --- the metrics API (kubectl top) --------------------------------------------------------------


@dataclass(frozen=True)
class Usage:
    """What the metrics API says a pod uses: CPU in cores and memory in bytes (its containers summed), and over
    which window metrics-server measured the CPU."""

    pod: str
    cpu_cores: float
    memory_bytes: float
    window: str


def pod_usage(cluster: Any, namespace: str) -> dict[str, Usage]:
    """``metrics.k8s.io/v1beta1`` PodMetrics of ``namespace``, by pod name (what ``kubectl top pods`` shows)."""
    found = cluster.custom.list_namespaced_custom_object("metrics.k8s.io", "v1beta1", namespace, "pods")
    usages = {}
    for item in found["items"]:
        containers = item.get("containers") or []
        usages[item["metadata"]["name"]] = Usage(
            item["metadata"]["name"],
            float(sum(parse_quantity(c["usage"]["cpu"]) for c in containers)),
            float(sum(parse_quantity(c["usage"]["memory"]) for c in containers)),
            item.get("window", ""),
        )
    return usages


def wait_for_usage(cluster: Any, namespace: str, pods: Iterable[str], timeout: float = 60) -> dict[str, Usage]:
    """Wait until the metrics API has a figure for each of ``pods`` (metrics-server needs two scrapes of a node
    after a pod starts); the figures of every pod of ``namespace`` it has."""
    wanted = set(pods)
    return poll_until(
        lambda: pod_usage(cluster, namespace),
        lambda usage: wanted <= set(usage),
        what=f"figures of the metrics API for {sorted(wanted)} in {namespace}",
        describe=lambda usage: f"figures for {sorted(wanted & set(usage))}",
        timeout=timeout,
        every=2,
    ).seen
