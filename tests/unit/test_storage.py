"""The storage helpers (storage.py), on objects made in memory: no cluster needed."""

from __future__ import annotations

from types import SimpleNamespace

import graphviz
from kubernetes import client

from threeplanes.functional.storage import (
    claim,
    claim_names,
    claims_table,
    persistent_volume,
    pod_with_claim,
    scheduling_message,
    storage_graph,
    volume_node,
    volumes_table,
)
from threeplanes.kit.labels import owned_labels


def test_a_volume_is_hostpath_by_default_and_pinned_when_given_a_node() -> None:
    labels = owned_labels("f2-storage", extra="x")
    assert labels == {"app.kubernetes.io/part-of": "threeplanes", "threeplanes.io/lab": "f2-storage", "extra": "x"}
    plain = persistent_volume("v", labels, "1Gi", ["ReadWriteOnce"])
    assert plain["spec"]["hostPath"]["path"] == "/tmp/threeplanes/v"
    assert plain["spec"]["storageClassName"] == "" and plain["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
    assert "nodeAffinity" not in plain["spec"]
    local = persistent_volume("l", labels, "2Gi", ["ReadWriteOnce"], "c", source={"local": {"path": "/mnt"}}, node="n1")
    assert "hostPath" not in local["spec"] and local["spec"]["local"] == {"path": "/mnt"}
    term = local["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"][0]["matchExpressions"][0]
    assert term == {"key": "kubernetes.io/hostname", "operator": "In", "values": ["n1"]}


def test_a_claim_without_class_keeps_the_field_out() -> None:
    assert "storageClassName" not in claim("c", "1Gi", ["ReadWriteOnce"], storage_class=None)["spec"]
    explicit = claim("c", "1Gi", ["ReadWriteOnce"], storage_class="", selector={"a": "b"})["spec"]
    assert explicit["storageClassName"] == "" and explicit["selector"] == {"matchLabels": {"a": "b"}}


def test_a_pod_with_a_claim_sleeps_or_runs_once() -> None:
    sleeper = pod_with_claim("p", "data", "busybox")["spec"]
    assert sleeper["restartPolicy"] == "Always" and sleeper["containers"][0]["command"][0] == "sleep"
    assert sleeper["volumes"][0]["persistentVolumeClaim"] == {"claimName": "data"}
    once = pod_with_claim("p", "data", "busybox", ["cat", "/data/x"])["spec"]
    assert once["restartPolicy"] == "Never"


def pv(name: str, node: str | None = None, claim_name: str | None = None) -> client.V1PersistentVolume:
    affinity = None
    if node:
        expression = client.V1NodeSelectorRequirement(key="kubernetes.io/hostname", operator="In", values=[node])
        term = client.V1NodeSelectorTerm(match_expressions=[expression])
        affinity = client.V1VolumeNodeAffinity(required=client.V1NodeSelector(node_selector_terms=[term]))
    ref = client.V1ObjectReference(namespace="ns", name=claim_name) if claim_name else None
    return client.V1PersistentVolume(
        metadata=client.V1ObjectMeta(name=name),
        spec=client.V1PersistentVolumeSpec(
            capacity={"storage": "1Gi"},
            access_modes=["ReadWriteOncePod"],
            node_affinity=affinity,
            claim_ref=ref,
            persistent_volume_reclaim_policy="Retain",
            storage_class_name="",
        ),
        status=client.V1PersistentVolumeStatus(phase="Bound" if claim_name else "Available"),
    )


def pvc(name: str, volume: str | None) -> client.V1PersistentVolumeClaim:
    return client.V1PersistentVolumeClaim(
        metadata=client.V1ObjectMeta(name=name),
        spec=client.V1PersistentVolumeClaimSpec(
            access_modes=["ReadWriteMany"],
            resources=client.V1VolumeResourceRequirements(requests={"storage": "500Mi"}),
            storage_class_name="",
            volume_name=volume,
        ),
        status=client.V1PersistentVolumeClaimStatus(phase="Bound" if volume else "Pending"),
    )


def test_tables_show_modes_short_and_the_node_of_a_local_volume() -> None:
    volumes = volumes_table([pv("b", node="worker-3", claim_name="data"), pv("a")])
    assert volumes.column("VOLUME") == ["a", "b"]
    assert volumes.column("MODES") == ["RWOP", "RWOP"]
    assert volumes.column("NODE") == ["", "worker-3"]
    assert volumes.column("CLAIM") == ["", "ns/data"]
    claims = claims_table([pvc("shared", None)])
    assert claims.column("MODES") == ["RWX"] and claims.column("CLASS") == ['""']
    assert volume_node(pv("a")) is None


def pod(name: str, claims: list[str], node: str | None, message: str = "") -> client.V1Pod:
    volumes = [
        client.V1Volume(name=c, persistent_volume_claim=client.V1PersistentVolumeClaimVolumeSource(claim_name=c))
        for c in claims
    ]
    conditions = [client.V1PodCondition(type="PodScheduled", status="False", message=message)] if message else []
    return client.V1Pod(
        metadata=client.V1ObjectMeta(name=name),
        spec=client.V1PodSpec(containers=[], volumes=volumes, node_name=node),
        status=client.V1PodStatus(conditions=conditions),
    )


def test_scheduling_message_and_claim_names() -> None:
    waiting = pod("solo-2", ["solo"], None, "ReadWriteOncePod access mode already in-use")
    assert scheduling_message(waiting).startswith("ReadWriteOncePod")
    assert scheduling_message(pod("solo-1", ["solo"], "w1")) == ""
    assert claim_names(waiting) == ["solo"]


def test_the_storage_graph_links_pods_claims_volumes_and_nodes() -> None:
    pods = [pod("reader", ["fast"], "worker-3")]
    claims = [pvc("fast", "local")]
    core = SimpleNamespace(
        list_namespaced_pod=lambda ns: SimpleNamespace(items=pods),
        list_namespaced_persistent_volume_claim=lambda ns: SimpleNamespace(items=claims),
    )
    graph = storage_graph(SimpleNamespace(core=core), "ns", [pv("local", node="worker-3", claim_name="fast")])
    assert isinstance(graph, graphviz.Digraph)
    source = graph.source
    assert '"pod/reader" -> "pvc/fast"' in source
    assert '"pvc/fast" -> "pv/local"' in source
    assert '"pv/local" -> "node/worker-3"' in source
