"""The lab kit against the live cluster: lab namespaces, and waits that complete or time out."""

from __future__ import annotations

import secrets
import socket

import pytest
from kubernetes import client

from threeplanes.errors import WaitTimeout
from threeplanes.kit.labels import LAB_LABEL, RUN_OWNER, owned_labels
from threeplanes.kit.namespaces import delete_namespace, lab_namespace
from threeplanes.kit.nodes import NodePool
from threeplanes.kit.wait import wait_for_gone, wait_for_rollout
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


def test_a_new_run_keeps_a_live_runs_namespace(live_cluster, namespace) -> None:
    second = lab_namespace(live_cluster, OWNER)  # this process owns both: both runs are live
    try:
        assert second != namespace
        assert live_cluster.core.read_namespace(namespace).status.phase == "Active"
        assert live_cluster.core.read_namespace(second).metadata.labels[LAB_LABEL] == OWNER
    finally:
        delete_namespace(live_cluster, second)


def test_a_new_run_clears_a_gone_runs_namespace_and_its_nodes(live_cluster, owned_by) -> None:
    owned_by(OWNER)
    gone = f"{socket.gethostname()}/{2**22 + 7}/0"  # beyond the pid range: no such process
    name = f"{OWNER}-gone-{secrets.token_hex(2)}"
    metadata = client.V1ObjectMeta(name=name, labels=owned_labels(OWNER), annotations={RUN_OWNER: gone})
    live_cluster.core.create_namespace(client.V1Namespace(metadata=metadata))
    pool = NodePool(name, owner=OWNER)
    live_cluster.core.create_node(pool.body("a"))
    fresh = lab_namespace(live_cluster, OWNER)
    try:
        old = live_cluster.core.read_namespace(name)
        assert old.status.phase == "Terminating" or old.metadata.deletion_timestamp is not None
        wait_for_gone(live_cluster.core.list_node, f"{name}-a", what="the gone run's node", timeout=30)
    finally:
        delete_namespace(live_cluster, fresh)
        delete_namespace(live_cluster, name)


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
