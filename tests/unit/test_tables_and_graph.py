"""Tables and the object graph, built from objects made in memory."""

from __future__ import annotations

from kubernetes import client

from threeplanes.kit.graph import NamespaceObjects, build_graph, selects
from threeplanes.kit.tables import Table, table


def meta(name, labels=None, owner=None):
    refs = [client.V1OwnerReference(api_version="apps/v1", kind=owner[0], name=owner[1], uid="u")] if owner else None
    return client.V1ObjectMeta(name=name, namespace="ns", labels=labels, owner_references=refs)


def test_table_aligns_text_and_escapes_html() -> None:
    t = table([{"n": "a<b", "v": 1}, {"n": "c", "v": None}], {"NAME": lambda o: o["n"], "VALUE": lambda o: o["v"]})
    assert str(t).splitlines() == ["NAME  VALUE", "a<b   1", "c"]
    assert "a&lt;b" in t._repr_html_()
    assert t.column("VALUE") == ["1", ""]
    assert isinstance(t, Table)


def test_selects_needs_every_key_and_a_non_empty_selector() -> None:
    assert selects({"app": "web"}, {"app": "web", "tier": "x"})
    assert not selects({"app": "web", "tier": "y"}, {"app": "web", "tier": "x"})
    assert not selects({}, {"app": "web"})
    assert not selects(None, {"app": "web"})


def sample() -> NamespaceObjects:
    deployment = client.V1Deployment(
        metadata=meta("web"),
        spec=client.V1DeploymentSpec(
            replicas=1, selector=client.V1LabelSelector(), template=client.V1PodTemplateSpec()
        ),
        status=client.V1DeploymentStatus(ready_replicas=1),
    )
    replicaset = client.V1ReplicaSet(
        metadata=meta("web-1", owner=("Deployment", "web")),
        spec=client.V1ReplicaSetSpec(replicas=1, selector=client.V1LabelSelector()),
        status=client.V1ReplicaSetStatus(replicas=1, ready_replicas=1),
    )
    pod = client.V1Pod(
        metadata=meta("web-1-a", labels={"app": "web"}, owner=("ReplicaSet", "web-1")),
        spec=client.V1PodSpec(containers=[], node_name="worker-1"),
        status=client.V1PodStatus(phase="Running", conditions=[client.V1PodCondition(type="Ready", status="True")]),
    )
    service = client.V1Service(
        metadata=meta("web"),
        spec=client.V1ServiceSpec(selector={"app": "web"}, type="ClusterIP", cluster_ip="10.0.0.9"),
    )
    endpoints = client.V1EndpointSlice(
        address_type="IPv4",
        metadata=meta("web-x", owner=("Service", "web")),
        endpoints=[
            client.V1Endpoint(addresses=["10.0.0.1"], target_ref=client.V1ObjectReference(kind="Pod", name="web-1-a"))
        ],
    )
    return NamespaceObjects("ns", [deployment], [replicaset], [pod], [service], [endpoints])


def test_graph_draws_each_relation_with_its_own_style() -> None:
    source = build_graph(sample()).source
    assert '"Deployment/web" -> "ReplicaSet/web-1"' in source
    assert '"ReplicaSet/web-1" -> "Pod/web-1-a"' in source
    assert '"Service/web" -> "EndpointSlice/web-x"' in source
    assert '"Service/web" -> "Pod/web-1-a" [color="#b45309" style=dashed]' in source
    assert '"EndpointSlice/web-x" -> "Pod/web-1-a"' in source and "style=dotted" in source
    assert "cluster_legend" in source and "namespace ns" in source
    assert "Ready on worker-1" in source


def test_graph_ignores_owners_outside_the_namespace() -> None:
    objects = sample()
    objects.deployments = []
    assert '"Deployment/web"' not in build_graph(objects).source
