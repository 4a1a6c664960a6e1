"""Setup of the fix-quota-full mission: a namespace whose ResourceQuota the retired pool still fills.

The namespace's share of the cluster is the ResourceQuota ``team-share``: one CPU of requests
(``requests.cpu: 1``). In it run the checker's client ``workers-client`` (10m) and the old pool
``workers-v1``, three replicas of 300m each on the simulated workers (910m in all): the page says it
was retired when ``workers-v2`` shipped, and nobody removed it. The new pool ``workers-v2`` (two
replicas of agnhost ``netexec``, 100m each, on the real node, behind the Service ``workers``) is
created last: its ReplicaSet's every attempt to make a pod is refused by the quota's admission
(``exceeded quota``), so there is no pod at all, nothing Pending, only the ReplicaSet's condition
``ReplicaFailure`` and its ``FailedCreate`` events. The setup waits for that condition. Running the
setup again starts the mission over.
"""

from __future__ import annotations

from typing import Any

from threeplanes.checking import missions
from threeplanes.errors import LabError
from threeplanes.kit.pods import live
from threeplanes.kit.wait import wait_for
from threeplanes.versions import pinned

QUOTA = "team-share"
SHARE = "1"  # CPU of requests: the namespace's share, which the page states
SHARE_MILLI = 1000
OLD, NEW, SERVICE, CLIENT = "workers-v1", "workers-v2", "workers", "workers-client"
OLD_REPLICAS, OLD_CPU = 3, "300m"
REPLICAS, CPU = 2, "100m"
CLIENT_CPU = "10m"
PORT = 8080
TIMEOUT = 60


def quota() -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": QUOTA},
        "spec": {"hard": {"requests.cpu": SHARE}},
    }


def old_pool() -> dict:
    container = {
        "name": "worker",
        "image": pinned().images["web"],
        "args": ["netexec", f"--http-port={PORT}"],
        "resources": {"requests": {"cpu": OLD_CPU}},
    }
    return missions.mission_deployment(OLD, container, OLD_REPLICAS, real_node=False)


def new_pool() -> dict:
    container = {
        "name": "worker",
        "image": pinned().images["web"],
        "args": ["netexec", f"--http-port={PORT}"],
        "ports": [{"name": "http", "containerPort": PORT}],
        "resources": {"requests": {"cpu": CPU}},
        "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 1},
    }
    return missions.mission_deployment(NEW, container, REPLICAS)


def client_pod() -> dict:
    """The checker's client (``missions.idle_client_pod``) with a CPU request: the quota refuses a pod without one."""
    pod = missions.idle_client_pod(CLIENT)
    pod["spec"]["containers"][0]["resources"] = {"requests": {"cpu": CLIENT_CPU}}
    return pod


def start_over(cluster: Any, namespace: str) -> None:
    missions.start_over(cluster, namespace, deployments=(NEW, OLD), services=(SERVICE,), pods=(CLIENT,))
    for found in cluster.core.list_namespaced_resource_quota(namespace).items:
        missions.delete_if_there(
            lambda name=found.metadata.name: cluster.core.delete_namespaced_resource_quota(name, namespace)
        )


def replica_failure(replica_set: Any) -> Any | None:
    """The ReplicaSet's condition ``ReplicaFailure`` when it is True (the controller could not make a pod)."""
    return next(
        (c for c in replica_set.status.conditions or [] if c.type == "ReplicaFailure" and c.status == "True"), None
    )


def apply(cluster: Any, namespace: str) -> None:
    start_over(cluster, namespace)
    cluster.core.create_namespaced_resource_quota(namespace, quota())
    wait_for(
        cluster.core.list_namespaced_resource_quota,
        lambda found: any(q.status and q.status.hard for q in found),
        what=f"the quota controller's first count of {QUOTA}",
        describe=lambda found: f"{len(found)} quota(s)",
        timeout=TIMEOUT,
        namespace=namespace,
    )
    cluster.core.create_namespaced_service(namespace, missions.mission_service(SERVICE, {"app": NEW}))
    cluster.core.create_namespaced_pod(namespace, client_pod())
    cluster.apps.create_namespaced_deployment(namespace, old_pool())
    missions.wait_for_app_pods(
        cluster,
        namespace,
        OLD,
        lambda found: len(found) == OLD_REPLICAS,
        f"the {OLD_REPLICAS} pods of {OLD}",
        TIMEOUT,
        on_the_real_node=False,
    )
    cluster.apps.create_namespaced_deployment(namespace, new_pool())
    try:
        wait_for(
            cluster.apps.list_namespaced_replica_set,
            lambda found: any(replica_failure(r) for r in found),
            what=f"the quota's refusal of {NEW}'s pods",
            describe=lambda found: ", ".join(f"{r.metadata.name}: {r.status.replicas or 0}" for r in found) or "none",
            timeout=TIMEOUT,
            namespace=namespace,
            label_selector=f"app={NEW}",
        )
    except LabError as error:
        made = live(cluster.core.list_namespaced_pod(namespace, label_selector=f"app={NEW}").items)
        raise LabError(f"{error} ({len(made)} pod(s) of {NEW} made)") from None
