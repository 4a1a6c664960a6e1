"""The conceptual plane's helpers, on objects made in memory: field managers, conflicts, ownership, pods."""

from __future__ import annotations

import json

from kubernetes import client

from threeplanes.conceptual.application import application_tree, container_state, containers_in_order, volume_kind
from threeplanes.conceptual.apply import conflicts, documents, managers, owned_fields
from threeplanes.conceptual.hierarchies import (
    nearest_labels,
    owned_by_deployment,
    owner_chain,
    relation_graph,
    selecting_nothing,
)
from threeplanes.kit.graph import NamespaceObjects


def meta(name, labels=None, owner=None):
    refs = None
    if owner:
        refs = [client.V1OwnerReference(api_version="v1", kind=owner[0], name=owner[1], uid="u", controller=True)]
    return client.V1ObjectMeta(name=name, namespace="ns", labels=labels, owner_references=refs)


def pod(name, labels, owner=None, init=(), containers=("main",)):
    spec = client.V1PodSpec(
        init_containers=[client.V1Container(name=n, restart_policy=p) for n, p in init] or None,
        containers=[client.V1Container(name=n) for n in containers],
    )
    return client.V1Pod(metadata=meta(name, labels, owner), spec=spec)


def service(name, selector):
    return client.V1Service(metadata=meta(name), spec=client.V1ServiceSpec(selector=selector))


def shop() -> NamespaceObjects:
    rs = client.V1ReplicaSet(metadata=meta("api-1", {"tier": "api"}, ("Deployment", "api")))
    deployment = client.V1Deployment(metadata=meta("api", {"tier": "api"}))
    pods = [pod("api-1-a", {"tier": "api"}, ("ReplicaSet", "api-1")), pod("store-0", {"tier": "store"})]
    services = [service("api", {"tier": "api"}), service("store", {"tier": "storage"})]
    return NamespaceObjects("ns", deployments=[deployment], replicasets=[rs], pods=pods, services=services)


def test_documents_skip_empty_ones() -> None:
    assert [d["kind"] for d in documents("---\nkind: A\n---\n---\nkind: B\n")] == ["A", "B"]


def test_owned_fields_flattens_a_fields_tree() -> None:
    tree = {"f:spec": {"f:replicas": {}, "f:template": {"f:spec": {'k:{"name":"api"}': {".": {}, "f:image": {}}}}}}
    assert owned_fields(tree) == [".spec.replicas", '.spec.template.spec[k:{"name":"api"}].image']


def test_managers_name_the_operation_and_subresource() -> None:
    entries = [
        {"manager": "ci", "operation": "Apply", "fieldsV1": {"f:spec": {"f:replicas": {}}}},
        {"manager": "kcm", "operation": "Update", "subresource": "status", "fieldsV1": {"f:status": {"f:ready": {}}}},
    ]
    assert managers({"metadata": {"managedFields": entries}}) == {
        "ci (Apply)": [".spec.replicas"],
        "kcm (Update, status)": [".status.ready"],
    }


def test_conflicts_are_read_from_a_409_answer() -> None:
    error = client.ApiException(status=409)
    cause = {"reason": "FieldManagerConflict", "message": 'conflict with "ci" using apps/v1', "field": ".spec.replicas"}
    error.body = json.dumps({"details": {"causes": [cause]}})
    (found,) = conflicts(error)
    assert (found.field, found.manager) == (".spec.replicas", "ci")
    assert conflicts(client.ApiException(status=422)) == []


def test_owner_chain_climbs_controller_references() -> None:
    assert owner_chain(shop(), "Pod", "api-1-a") == ["Pod/api-1-a", "ReplicaSet/api-1", "Deployment/api"]
    assert owner_chain(shop(), "Pod", "store-0") == ["Pod/store-0"]


def test_a_selector_that_misses_is_found_with_the_labels_pods_carry() -> None:
    objects = shop()
    assert selecting_nothing(objects) == {"store": {"tier": "storage"}}
    assert nearest_labels(objects, {"tier": "storage"}) == {"tier": {"api", "store"}}


def test_owned_by_deployment_follows_ownership_not_labels() -> None:
    objects = shop()
    stray = pod("api-stray", {"tier": "api"})
    owned = owned_by_deployment(objects.replicasets, [*objects.pods, stray], "api")
    assert [p.metadata.name for p in owned] == ["api-1-a"]


def test_relation_graphs_draw_one_relation_each() -> None:
    owns, chosen = relation_graph(shop(), "owns").source, relation_graph(shop(), "selects").source
    assert '"ReplicaSet/api-1" -> "Pod/api-1-a"' in owns and '"Service/api" -> "Pod/api-1-a"' not in owns
    assert '"Service/api" -> "Pod/api-1-a"' in chosen and '"ReplicaSet/api-1" -> "Pod/api-1-a"' not in chosen


def test_containers_come_in_start_order_with_their_roles() -> None:
    p = pod("web", {"tier": "web"}, init=[("render", None), ("shipper", "Always")], containers=("web",))
    assert [(role, c.name) for role, c in containers_in_order(p)] == [
        ("init", "render"),
        ("sidecar", "shipper"),
        ("main", "web"),
    ]
    tree = application_tree("ns", "shop", [service("web", {"tier": "web"})], [p, pod("lone", {"tier": "x"})])
    assert "Pod web: init render, sidecar shipper, main web" in tree and "(no Service)" in tree


def test_container_state_and_volume_kind_read_the_api_objects() -> None:
    done = client.V1ContainerStatus(
        name="render",
        image="i",
        image_id="",
        ready=False,
        restart_count=0,
        state=client.V1ContainerState(terminated=client.V1ContainerStateTerminated(exit_code=0, reason="Completed")),
    )
    assert container_state(done) == "terminated (Completed, exit 0)"
    assert container_state(None) == "no status yet"
    assert volume_kind(client.V1Volume(name="v", empty_dir=client.V1EmptyDirVolumeSource())) == "emptyDir"
