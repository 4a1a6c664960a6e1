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

from threeplanes.checking import missions
from threeplanes.kit.wait import unschedulable_message
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
    return missions.mission_deployment(NAME, container, REPLICAS, real_node=False)


def apply(cluster: Any, namespace: str) -> None:
    missions.start_over(cluster, namespace, deployments=(NAME,))
    cluster.apps.create_namespaced_deployment(namespace, deployment())
    missions.wait_for_app_pods(
        cluster,
        namespace,
        NAME,
        lambda found: len(found) == REPLICAS and all(unschedulable_message(p) for p in found),
        f"the scheduler's refusal of the {NAME} pods",
        WAIT_TIMEOUT,
        on_the_real_node=False,
    )
