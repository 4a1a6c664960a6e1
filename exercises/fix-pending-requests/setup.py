"""Setup of the fix-pending-requests mission: a Deployment whose pods no node can take.

``reports`` (two replicas of a busybox placeholder, run by the book's simulated workers) asks for
``cpu: "100"``: a hundred cores, where its author meant a tenth of one (``100m``). No node has
that much to give, so the scheduler leaves both pods Pending and says so in a ``FailedScheduling``
event and in each pod's ``PodScheduled`` condition. There are no limits: a request left out is
not filled in from one. The setup waits until the scheduler has given its reason. Running it again
starts the mission over.
"""

from __future__ import annotations

from typing import Any

from kubernetes import client

from threeplanes.errors import LabError, WaitTimeout
from threeplanes.kit.pods import live
from threeplanes.kit.wait import unschedulable_message, wait_for, wait_for_gone
from threeplanes.versions import pinned

NAME = "reports"
LABELS = {"app": NAME}
REPLICAS = 2
REQUESTS = {"cpu": "100", "memory": "64Mi"}
WAIT_TIMEOUT = 60


def deployment() -> dict:
    container = {
        "name": "renderer",
        "image": pinned().images["busybox"],
        "command": ["sleep", "86400"],
        "resources": {"requests": dict(REQUESTS)},
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": NAME, "labels": LABELS},
        "spec": {
            "replicas": REPLICAS,
            "selector": {"matchLabels": LABELS},
            "template": {
                "metadata": {"labels": LABELS},
                "spec": {"terminationGracePeriodSeconds": 1, "containers": [container]},
            },
        },
    }


def apply(cluster: Any, namespace: str) -> None:
    try:
        cluster.apps.delete_namespaced_deployment(NAME, namespace, propagation_policy="Foreground")
    except client.ApiException as error:
        if error.status != 404:
            raise
    wait_for_gone(cluster.apps.list_namespaced_deployment, NAME, what=f"Deployment {NAME}", namespace=namespace)
    cluster.apps.create_namespaced_deployment(namespace, deployment())
    try:
        wait_for(
            cluster.core.list_namespaced_pod,
            lambda found: len(live(found)) == REPLICAS and all(unschedulable_message(p) for p in live(found)),
            what=f"the scheduler's refusal of the {NAME} pods",
            describe=lambda found: ", ".join(f"{p.metadata.name}: {p.status.phase}" for p in live(found)) or "no pod",
            timeout=WAIT_TIMEOUT,
            namespace=namespace,
            label_selector=f"app={NAME}",
        )
    except WaitTimeout as error:
        raise LabError(str(error)) from None
