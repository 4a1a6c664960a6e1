"""What the scheduler allows and counts, from objects made in memory: label selectors, tolerations,
node selection, and the non-zero requests node scoring counts for containers that declare none."""

from __future__ import annotations

from decimal import Decimal

from kubernetes import client

from threeplanes.functional.packing import (
    NONZERO_CPU,
    NONZERO_MEMORY,
    allowed_nodes,
    allows_node,
    pod_request,
    scoring_request,
    selector_matches,
    tolerates,
)

POOL_TAINT = client.V1Taint(key="threeplanes.io/pool", value="mine", effect="NoSchedule")


def node(name: str, labels: dict, taints=None) -> client.V1Node:
    return client.V1Node(metadata=client.V1ObjectMeta(name=name, labels=labels), spec=client.V1NodeSpec(taints=taints))


MINE = node("mine-a", {"threeplanes.io/pool": "mine", "zone": "a"}, [POOL_TAINT])
SHARED = node("worker-1", {"zone": "a"})


def test_selector_match_labels_and_expressions() -> None:
    labels = {"app": "web", "tier": "front"}
    assert selector_matches({"matchLabels": {"app": "web"}}, labels)
    assert not selector_matches({"matchLabels": {"app": "wbe"}}, labels)
    assert selector_matches({"matchExpressions": [{"key": "app", "operator": "In", "values": ["web"]}]}, labels)
    assert not selector_matches({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["web"]}]}, labels)
    assert selector_matches({"matchExpressions": [{"key": "tier", "operator": "Exists"}]}, labels)
    assert not selector_matches(None, labels), "no selector selects nothing"
    assert selector_matches({}, labels), "an empty selector selects everything"
    model = client.V1LabelSelector(match_labels={"app": "web"})
    assert selector_matches(model, labels)


def test_tolerations() -> None:
    assert tolerates({"key": "threeplanes.io/pool", "operator": "Equal", "value": "mine"}, POOL_TAINT)
    assert tolerates({"key": "threeplanes.io/pool", "operator": "Exists", "effect": "NoSchedule"}, POOL_TAINT)
    assert tolerates({"operator": "Exists"}, POOL_TAINT), "an empty key with Exists tolerates every taint"
    assert not tolerates({"key": "threeplanes.io/pool", "value": "other"}, POOL_TAINT)
    assert not tolerates({"key": "threeplanes.io/pool", "operator": "Exists", "effect": "NoExecute"}, POOL_TAINT)


def test_node_selection_by_selector_affinity_and_taints() -> None:
    toleration = [{"key": "threeplanes.io/pool", "operator": "Exists"}]
    by_selector = {"nodeSelector": {"threeplanes.io/pool": "mine"}, "tolerations": toleration}
    assert allowed_nodes(by_selector, [MINE, SHARED]) == ["mine-a"]
    term = {"matchExpressions": [{"key": "threeplanes.io/pool", "operator": "In", "values": ["mine"]}]}
    required = {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [term]}}
    by_affinity = {"affinity": {"nodeAffinity": required}, "tolerations": toleration}
    assert allowed_nodes(by_affinity, [MINE, SHARED]) == ["mine-a"]
    assert not allows_node({"nodeSelector": {"threeplanes.io/pool": "mine"}}, MINE), "the taint is not tolerated"
    assert allowed_nodes({"tolerations": toleration}, [MINE, SHARED]) == ["mine-a", "worker-1"]


def test_scoring_counts_non_zero_defaults_and_the_filter_does_not() -> None:
    bare = client.V1Pod(spec=client.V1PodSpec(containers=[client.V1Container(name="c")]))
    assert pod_request(bare) == 0 and pod_request(bare, "memory") == 0
    assert scoring_request(bare) == NONZERO_CPU == Decimal("0.1")
    assert scoring_request(bare, "memory") == NONZERO_MEMORY == 200 * 2**20
    sized = client.V1Pod(
        spec=client.V1PodSpec(
            containers=[client.V1Container(name="c", resources=client.V1ResourceRequirements(requests={"cpu": "2"}))]
        )
    )
    assert scoring_request(sized) == 2 and scoring_request(sized, "memory") == NONZERO_MEMORY


def test_a_terminating_pod_holds_its_requests_until_it_is_gone_and_a_finished_one_does_not() -> None:
    """What the F5 lab once got wrong under load: a pod marked for deletion still counts against its
    node until the object is removed; only a finished pod (Succeeded, Failed) frees its request at once."""
    from datetime import UTC, datetime

    from threeplanes.functional.packing import node_loads

    def bound(name: str, phase: str = "Running", deleting: bool = False) -> client.V1Pod:
        requests = client.V1ResourceRequirements(requests={"cpu": "500m", "memory": "256Mi"})
        return client.V1Pod(
            metadata=client.V1ObjectMeta(name=name, deletion_timestamp=datetime.now(UTC) if deleting else None),
            spec=client.V1PodSpec(node_name="n", containers=[client.V1Container(name="c", resources=requests)]),
            status=client.V1PodStatus(phase=phase),
        )

    the_node = client.V1Node(
        metadata=client.V1ObjectMeta(name="n"),
        status=client.V1NodeStatus(allocatable={"cpu": "2", "memory": "4Gi"}),
    )
    pods = [bound("running"), bound("terminating", deleting=True), bound("done", phase="Succeeded")]
    (load,) = node_loads([the_node], pods)
    assert sorted(load.pods) == ["running", "terminating"]
    assert load.requested_cpu == 1
