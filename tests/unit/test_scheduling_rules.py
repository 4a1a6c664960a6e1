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
