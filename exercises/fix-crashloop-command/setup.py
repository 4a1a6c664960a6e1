"""Setup of the fix-crashloop-command mission: the shop's API, crashing on the real node, and a client.

``shop-api`` is agnhost's ``netexec`` HTTP server behind the Service ``shop-api`` (port 80 to the
container's port ``http``, 8080), two replicas on the real node. The break: the first word of the
container's ``args`` is ``net-exec``, a subcommand agnhost does not have, so the program prints
an error and exits 1 as soon as it starts, and the kubelet restarts it with a growing back-off.
``shop-client`` is a busybox pod on the real node that the checker sends its requests from.

The setup waits until every pod of ``shop-api`` has crashed once and notes their names on the
Deployment (``BROKEN_PODS``): a pod of the same ReplicaSet that is not among them was made after
one was deleted. Running the setup again starts the mission over.
"""

from __future__ import annotations

from typing import Any

from threeplanes.checking import missions
from threeplanes.checking.missions import idle_client_pod
from threeplanes.kit.pods import live
from threeplanes.versions import pinned

NAME = "shop-api"
CLIENT = "shop-client"
LABELS = {"app": NAME}
REPLICAS = 2
PORT = 8080
BROKEN_ARGS = ["net-exec", f"--http-port={PORT}"]
FIXED_ARGS = ["netexec", f"--http-port={PORT}"]
BROKEN_PODS = "threeplanes.io/broken-pods"  # on the Deployment: the pods the setup saw crash
CRASH_TIMEOUT = 90


def deployment(args: list[str] | None = None) -> dict:
    container = {
        "name": "api",
        "image": pinned().images["web"],
        "args": list(args or BROKEN_ARGS),
        "ports": [{"name": "http", "containerPort": PORT}],
    }
    return missions.mission_deployment(NAME, container, REPLICAS)


def service() -> dict:
    return missions.mission_service(NAME)


def start_over(cluster: Any, namespace: str) -> None:
    """Delete what an earlier setup (or attempt) left: the Deployment, the Service, the client."""
    missions.start_over(cluster, namespace, deployments=(NAME,), services=(NAME,), pods=(CLIENT,))


def crashed(pod: Any) -> bool:
    return any(s.restart_count >= 1 or (s.state.terminated is not None) for s in pod.status.container_statuses or [])


def apply(cluster: Any, namespace: str) -> None:
    start_over(cluster, namespace)
    cluster.core.create_namespaced_service(namespace, service())
    cluster.core.create_namespaced_pod(namespace, idle_client_pod(CLIENT))
    cluster.apps.create_namespaced_deployment(namespace, deployment())
    pods = missions.wait_for_app_pods(
        cluster,
        namespace,
        NAME,
        lambda found: len(found) == REPLICAS and all(crashed(p) for p in found),
        f"the first crash of each {NAME} pod on the real node",
        CRASH_TIMEOUT,
    )
    names = ",".join(sorted(p.metadata.name for p in live(pods)))
    cluster.apps.patch_namespaced_deployment(NAME, namespace, {"metadata": {"annotations": {BROKEN_PODS: names}}})
