"""The lab kit against the live cluster: lab namespaces, and waits that complete or time out."""

from __future__ import annotations

import pytest
from kubernetes import client

from threeplanes.errors import WaitTimeout
from threeplanes.kit.labels import LAB_LABEL
from threeplanes.kit.namespaces import delete_namespace, lab_namespace
from threeplanes.kit.wait import wait_for_rollout
from threeplanes.versions import pinned

pytestmark = pytest.mark.cluster
OWNER = "kit-test"


def deployment(name: str, node_selector: dict[str, str] | None = None) -> client.V1Deployment:
    labels = {"app": name}
    pod = client.V1PodSpec(
        containers=[client.V1Container(name="web", image=pinned().images["web"])], node_selector=node_selector
    )
    return client.V1Deployment(
        metadata=client.V1ObjectMeta(name=name),
        spec=client.V1DeploymentSpec(
            replicas=2,
            selector=client.V1LabelSelector(match_labels=labels),
            template=client.V1PodTemplateSpec(metadata=client.V1ObjectMeta(labels=labels), spec=pod),
        ),
    )


@pytest.fixture
def namespace(live_cluster, owned_by):
    owned_by(OWNER)
    name = lab_namespace(live_cluster, OWNER)
    yield name
    delete_namespace(live_cluster, name)


def test_a_new_lab_namespace_replaces_one_left_by_an_interrupted_run(live_cluster, namespace) -> None:
    second = lab_namespace(live_cluster, OWNER)
    try:
        assert second != namespace
        old = live_cluster.core.read_namespace(namespace)
        assert old.status.phase == "Terminating" or old.metadata.deletion_timestamp is not None
        assert live_cluster.core.read_namespace(second).metadata.labels[LAB_LABEL] == OWNER
    finally:
        delete_namespace(live_cluster, second)


def test_a_rollout_completes(live_cluster, namespace) -> None:
    live_cluster.apps.create_namespaced_deployment(namespace, deployment("ok"))
    assert wait_for_rollout(live_cluster, namespace, "ok", timeout=30).status.ready_replicas == 2


def test_a_stuck_rollout_times_out_naming_the_deployment_and_its_state(live_cluster, namespace) -> None:
    live_cluster.apps.create_namespaced_deployment(namespace, deployment("stuck", {"no-such-node": "true"}))
    with pytest.raises(WaitTimeout) as error:
        wait_for_rollout(live_cluster, namespace, "stuck", timeout=3)
    message = str(error.value)
    assert f"Deployment {namespace}/stuck to finish its rollout: not reached after 3 s" in message
    assert "0/2 ready" in message
