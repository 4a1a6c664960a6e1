"""The scheduler's words read back with no cluster: FailedScheduling messages, metrics, placements, hand-ins."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from threeplanes.errors import LabError
from threeplanes.system.scheduling import (
    Metrics,
    nodes_considered,
    overcommitted,
    per_node,
    per_zone,
    rate,
    rejections,
    scheduler_metrics_url,
)

REFUSED = (
    "0/4 nodes are available: 2 Insufficient cpu, 2 node(s) didn't match Pod's node affinity/selector. "
    "no new claims to deallocate, preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling."
)


def test_rejections_count_the_nodes_of_each_filter_in_the_first_sentence_only() -> None:
    assert rejections(REFUSED) == {"Insufficient cpu": 2, "node(s) didn't match Pod's node affinity/selector": 2}
    assert nodes_considered(REFUSED) == 4
    assert rejections("0/1 nodes are available: 1 node(s) had untolerated taint(s).") == {
        "node(s) had untolerated taint(s)": 1
    }


def test_a_message_of_another_form_is_named() -> None:
    with pytest.raises(LabError, match="Successfully assigned"):
        rejections("Successfully assigned ns/p to n1")


def test_metrics_are_summed_over_the_labels_not_asked_for() -> None:
    text = """# TYPE scheduler_schedule_attempts_total counter
scheduler_schedule_attempts_total{profile="default-scheduler",result="scheduled"} 3
scheduler_schedule_attempts_total{profile="default-scheduler",result="unschedulable"} 2
scheduler_schedule_attempts_total{profile="other",result="scheduled"} 1
"""
    metrics = Metrics.from_text(text)
    assert metrics.value("scheduler_schedule_attempts_total") == 6
    assert metrics.value("scheduler_schedule_attempts_total", result="scheduled") == 4
    assert metrics.value("scheduler_pending_pods") == 0
    assert metrics.names("scheduler_") == ["scheduler_schedule_attempts_total"]


def test_the_metrics_url_is_the_secure_port_on_loopback() -> None:
    flags = {"secure-port": "32754", "bind-address": "0.0.0.0"}
    assert scheduler_metrics_url(flags) == "https://127.0.0.1:32754/metrics"
    with pytest.raises(LabError, match="secure-port"):
        scheduler_metrics_url({})


def _pod(node: str | None, cpu: str = "100m") -> SimpleNamespace:
    resources = SimpleNamespace(requests={"cpu": cpu})
    return SimpleNamespace(spec=SimpleNamespace(node_name=node, containers=[SimpleNamespace(resources=resources)]))


def _node(name: str, zone: str, cpu: str = "2") -> SimpleNamespace:
    metadata = SimpleNamespace(name=name, labels={"topology.kubernetes.io/zone": zone})
    return SimpleNamespace(metadata=metadata, status=SimpleNamespace(allocatable={"cpu": cpu}))


def test_placements_are_counted_per_node_and_zone_and_overcommitment_named() -> None:
    pods = [_pod("a", "1200m"), _pod("a", "1200m"), _pod("b"), _pod(None)]
    nodes = [_node("a", "zone-a"), _node("b", "zone-b")]
    assert per_node(pods) == {"(pending)": 1, "a": 2, "b": 1}
    assert per_zone(pods, nodes) == {"zone-a": 2, "zone-b": 1}
    assert overcommitted(pods, nodes) == {"a": "2400m of 2000m"}


def test_a_rate_needs_two_placements() -> None:
    assert rate([10.0, 11.0, 12.0]) == 1.0
    with pytest.raises(LabError):
        rate([10.0])
