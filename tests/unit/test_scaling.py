"""The scaling helpers (scaling.py), on objects made in memory: no cluster needed."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from kubernetes import client

from threeplanes.functional.scaling import evict, hpa_counts, hpa_state, hpa_utilization
from threeplanes.kit.nodes import NodePool
from threeplanes.kit.resources import millicores
from threeplanes.kit.timeline import Timeline
from threeplanes.provision.nodes import METRICS_PATH_ANNOTATION


def hpa(current: int, desired: int, utilization: int | None, active: str = "True") -> client.V2HorizontalPodAutoscaler:
    metrics = None
    if utilization is not None:
        current_value = client.V2MetricValueStatus(average_utilization=utilization)
        resource = client.V2ResourceMetricStatus(name="cpu", current=current_value)
        metrics = [client.V2MetricStatus(type="Resource", resource=resource)]
    target = client.V2MetricTarget(type="Utilization", average_utilization=50)
    spec_metric = client.V2MetricSpec(
        type="Resource", resource=client.V2ResourceMetricSource(name="cpu", target=target)
    )
    condition = client.V2HorizontalPodAutoscalerCondition(
        type="ScalingActive", status=active, reason="FailedGetResourceMetric", message="missing request for cpu"
    )
    return client.V2HorizontalPodAutoscaler(
        metadata=client.V1ObjectMeta(name="web"),
        spec=client.V2HorizontalPodAutoscalerSpec(
            max_replicas=6,
            metrics=[spec_metric],
            scale_target_ref=client.V2CrossVersionObjectReference(kind="Deployment", name="web"),
        ),
        status=client.V2HorizontalPodAutoscalerStatus(
            current_replicas=current, desired_replicas=desired, current_metrics=metrics, conditions=[condition]
        ),
    )


def test_a_pool_node_is_tainted_labelled_and_metered() -> None:
    pool = NodePool("lab-abc123", "f8-scaling")
    body = pool.body("a", cpu="2")
    assert body["metadata"]["name"] == "lab-abc123-a"
    assert body["metadata"]["labels"]["threeplanes.io/lab"] == "f8-scaling"
    assert body["metadata"]["labels"]["threeplanes.io/pool"] == "lab-abc123"
    assert body["metadata"]["annotations"][METRICS_PATH_ANNOTATION] == "/metrics/nodes/lab-abc123-a/metrics/resource"
    assert body["spec"]["taints"] == [{"key": "threeplanes.io/pool", "value": "lab-abc123", "effect": "NoSchedule"}]
    assert body["status"]["capacity"]["cpu"] == "2"


def test_placement_tolerates_the_pool_taint_and_selects_its_nodes() -> None:
    pool = NodePool("p", "lab")
    placement = pool.placement()
    assert placement["nodeSelector"] == {"threeplanes.io/pool": "p"}
    toleration = placement["tolerations"][0]
    (taint,) = pool.body("a")["spec"]["taints"]
    assert (toleration["key"], toleration["value"], toleration["effect"]) == (
        taint["key"],
        taint["value"],
        taint["effect"],
    )


@pytest.mark.parametrize(
    ("quantity", "expected"), [("250m", 250), ("1", 1000), ("499990914n", 499), ("5u", 0), ("1.5", 1500)]
)
def test_millicores(quantity: str, expected: int) -> None:
    assert millicores(quantity) == expected


def test_hpa_state_names_replicas_utilization_and_what_blocks_it() -> None:
    state = hpa_state(hpa(2, 2, None, active="False"))
    assert "2 replicas, wants 2" in state and "target 50%" in state
    assert "ScalingActive=False (FailedGetResourceMetric: missing request for cpu)" in state
    assert hpa_utilization(hpa(2, 6, 150)) == 150


def test_a_timeline_of_an_hpa_keeps_changes_only_and_plots_utilization_on_its_own_axis() -> None:
    timeline = Timeline()
    for state in [(2, 2, None), (2, 2, 10), (2, 2, 10), (2, 6, 150), (6, 6, 150)]:
        timeline.record(hpa_counts(hpa(*state)))
    timeline.mark("load up")
    assert timeline.values("replicas") == [2, 2, 2, 6]
    assert timeline.values("desired") == [2, 2, 6, 6]
    assert [s.counts.get("utilization") for s in timeline.samples] == [None, 10, 150, 150]
    assert timeline.marks[0][1] == "load up"
    figure = timeline.plot(["replicas"], secondary={"utilization": "CPU, % of requests"})
    assert len(figure.axes) == 2


def test_an_eviction_refused_by_a_budget_returns_the_reason() -> None:
    def refuse(*args, **kwargs):
        error = client.ApiException(status=429, reason="Too Many Requests")
        error.body = '{"message": "Cannot evict pod as it would violate the pod\'s disruption budget."}'
        raise error

    cluster = SimpleNamespace(core=SimpleNamespace(create_namespaced_pod_eviction=refuse))
    assert evict(cluster, "ns", "pod") == (
        "429 Too Many Requests: Cannot evict pod as it would violate the pod's disruption budget."
    )
    cluster.core.create_namespaced_pod_eviction = lambda *a, **k: None
    assert evict(cluster, "ns", "pod") is None
