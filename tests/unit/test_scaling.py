"""The scaling helpers (scaling.py), on objects made in memory: no cluster needed."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from kubernetes import client

from threeplanes.scaling import (
    METRICS_PATH,
    HpaTimeline,
    NodePool,
    evict,
    hpa_state,
    hpa_utilization,
    metered,
    millicores,
    schedulable,
)


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
    body = pool.node("a", cpu="2")
    assert body["metadata"]["name"] == "lab-abc123-a"
    assert body["metadata"]["labels"]["threeplanes.io/lab"] == "f8-scaling"
    assert body["metadata"]["labels"]["threeplanes.io/pool"] == "lab-abc123"
    assert body["metadata"]["annotations"][METRICS_PATH] == "/metrics/nodes/lab-abc123-a/metrics/resource"
    assert body["spec"]["taints"] == [pool.taint]
    assert body["status"]["capacity"]["cpu"] == "2"


def test_placement_tolerates_the_pool_taint_and_selects_its_nodes() -> None:
    pool = NodePool("p", "lab")
    placement = pool.placement()
    assert placement["nodeSelector"] == {"threeplanes.io/pool": "p"}
    toleration = placement["tolerations"][0]
    assert (toleration["key"], toleration["value"], toleration["effect"]) == (
        pool.taint["key"],
        pool.taint["value"],
        pool.taint["effect"],
    )


def test_metered_keeps_an_annotation_already_there() -> None:
    body = {"metadata": {"name": "n", "annotations": {METRICS_PATH: "/custom"}}}
    assert metered(body)["metadata"]["annotations"][METRICS_PATH] == "/custom"


@pytest.mark.parametrize(
    ("quantity", "expected"), [("250m", 250), ("1", 1000), ("499990914n", 499.990914), ("5u", 0.005)]
)
def test_millicores(quantity: str, expected: float) -> None:
    assert millicores(quantity) == pytest.approx(expected)


def test_hpa_state_names_replicas_utilization_and_what_blocks_it() -> None:
    state = hpa_state(hpa(2, 2, None, active="False"))
    assert "2 replicas, wants 2" in state and "target 50%" in state
    assert "ScalingActive=False (FailedGetResourceMetric: missing request for cpu)" in state
    assert hpa_utilization(hpa(2, 6, 150)) == 150


def test_timeline_keeps_changes_only_and_skips_the_empty_status() -> None:
    timeline = HpaTimeline()
    timeline.record(hpa(0, 0, None))
    for state in [(2, 2, 10), (2, 2, 10), (2, 6, 150), (6, 6, 150)]:
        timeline.record(hpa(*state))
    timeline.mark("load up")
    assert [p[1:] for p in timeline.points] == [(2, 2, 10), (2, 6, 150), (6, 6, 150)]
    assert timeline.marks[0][1] == "load up"
    figure = timeline.plot()
    assert len(figure.axes) == 2


def test_a_node_is_schedulable_once_ready_and_rid_of_the_not_ready_taint() -> None:
    ready = [client.V1NodeCondition(type="Ready", status="True")]
    taint = client.V1Taint(key="node.kubernetes.io/not-ready", effect="NoSchedule")
    node = SimpleNamespace(status=SimpleNamespace(conditions=ready), spec=SimpleNamespace(taints=[taint]))
    assert not schedulable(node)
    node.spec.taints = [client.V1Taint(key="threeplanes.io/pool", value="p", effect="NoSchedule")]
    assert schedulable(node)


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


def test_a_pool_deletes_only_the_stale_nodes_of_its_own_lab(monkeypatch) -> None:
    def node(name: str, pool: str) -> SimpleNamespace:
        return SimpleNamespace(metadata=SimpleNamespace(name=name, labels={"threeplanes.io/pool": pool}))

    deleted: list[str] = []
    selectors: list[str] = []

    def list_node(label_selector: str = "", **kwargs):
        selectors.append(label_selector)
        return SimpleNamespace(items=[node("old-a", "old"), node("new-a", "new")], metadata=None)

    core = SimpleNamespace(
        list_node=list_node,
        list_pod_for_all_namespaces=lambda **kwargs: SimpleNamespace(items=[]),
        delete_node=deleted.append,
    )
    monkeypatch.setattr("threeplanes.scaling.wait_for_gone", lambda *args, **kwargs: None)  # gone at once
    assert NodePool("new", "f8-scaling").delete_stale(SimpleNamespace(core=core)) == ["old-a"]
    assert deleted == ["old-a"] and selectors[0] == "threeplanes.io/lab=f8-scaling"
