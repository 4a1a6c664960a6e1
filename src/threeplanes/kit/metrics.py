"""Metrics as a component serves them: Prometheus' text exposition format, read into samples.

Every component (the API server, etcd, the scheduler, the kubelet, kube-proxy) serves its metrics
as text at ``/metrics``. ``parse_metrics`` reads such a page into ``Sample``\\ s (name, labels,
value); ``matching`` picks the samples of one series whose labels include some labels, and
``total`` adds them up. The system plane's modules (``monitoring``, ``proxy``, ``scheduling``)
read their components' pages with these.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families

from threeplanes.errors import LabError


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
