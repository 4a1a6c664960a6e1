"""The S6 helpers without a cluster: allocatable as the kubelet computes it, heartbeats' and restarts'
intervals, runs read from a pod's status, metrics read from the Prometheus text format."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace as NS

from threeplanes.provision.realnode import configs
from threeplanes.system.kubelet import (
    Run,
    expected_allocatable,
    intervals,
    metric_samples,
    restart_gaps,
    runs_in,
    threshold_amount,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_a_percentage_threshold_is_a_float32_fraction_truncated() -> None:
    # 1% of the real node's disk as its kubelet reported it: exact decimals would give ...740.16.
    assert threshold_amount("1%", Decimal(264212084 * 1024)) == Decimal(2705531679)
    assert threshold_amount("100Mi", Decimal(10**12)) == Decimal(100 * 2**20)


def test_allocatable_is_capacity_minus_reservations_eviction_and_huge_pages() -> None:
    capacity = {"cpu": "4", "memory": "8Gi", "ephemeral-storage": "100Gi", "hugepages-2Mi": "1Gi", "pods": "110"}
    config = {
        "kubeReserved": {"cpu": "500m", "memory": "512Mi"},
        "systemReserved": {"memory": "256Mi"},
        "evictionHard": {"memory.available": "100Mi", "nodefs.available": "10%", "imagefs.available": "5%"},
    }
    left = expected_allocatable(capacity, config)
    assert left["cpu"] == Decimal("3.5")
    assert left["memory"] == (8 * 1024 - 512 - 256 - 100 - 1024) * 2**20
    assert left["ephemeral-storage"] == 100 * 2**30 - threshold_amount("10%", Decimal(100 * 2**30))
    assert left["pods"] == 110


def test_nothing_reserved_leaves_capacity() -> None:
    capacity = {"cpu": "2", "memory": "1Gi"}
    assert expected_allocatable(capacity, {}) == {"cpu": Decimal(2), "memory": Decimal(2**30)}


def test_intervals_and_restart_gaps() -> None:
    assert intervals([at(0), at(10.1), at(20.3)]) == [10.1, 10.2]
    runs = [Run(at(0), at(2), 3), Run(at(2), at(4), 3), Run(at(15), at(17), 3)]
    assert restart_gaps(runs) == [0.0, 11.0]


def terminated(started: float, finished: float, code: int = 3) -> NS:
    return NS(terminated=NS(started_at=at(started), finished_at=at(finished), exit_code=code), running=None)


def test_runs_come_from_the_last_state_and_a_terminated_state() -> None:
    status = NS(name="quit", last_state=terminated(0, 2), state=terminated(2, 4))
    pod = NS(status=NS(container_statuses=[status]))
    assert runs_in(pod, "quit") == {Run(at(0), at(2), 3), Run(at(2), at(4), 3)}
    running = NS(name="quit", last_state=NS(terminated=None), state=NS(terminated=None, running=NS()))
    assert runs_in(NS(status=NS(container_statuses=[running])), "quit") == set()
    assert runs_in(NS(status=NS(container_statuses=None)), "quit") == set()


def test_metric_samples_with_labels() -> None:
    text = """# HELP pod_memory_working_set_bytes [STABLE] Current working set of the pod in bytes
# TYPE pod_memory_working_set_bytes gauge
pod_memory_working_set_bytes{namespace="a",pod="web"} 9.826304e+06 1796641866346
pod_memory_working_set_bytes{namespace="b",pod="web"} 1000 1796641866346
pod_memory_working_set_bytes_other{namespace="a",pod="web"} 5
node_memory_working_set_bytes 7.3e+09 1796641866346
"""
    samples = metric_samples(text, "pod_memory_working_set_bytes", lambda labels: labels["namespace"] == "a")
    assert samples == [({"namespace": "a", "pod": "web"}, 9826304.0)]
    assert metric_samples(text, "node_memory_working_set_bytes") == [({}, 7.3e9)]


def test_the_real_node_kubelet_has_a_static_pod_folder(tmp_path) -> None:
    layout = configs.Layout(tmp_path / "realnode")
    assert configs.kubelet_config(layout)["staticPodPath"] == str(layout.manifests)
    assert layout.manifests.parent == layout.root
