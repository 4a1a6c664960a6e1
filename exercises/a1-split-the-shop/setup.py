"""Setup of the a1-split-the-shop exercise: the shop as a monolith, on the real node, and a client pod.

The Deployment ``shop`` runs two replicas of the shop's program (busybox's ``httpd`` behind a few lines
of shell, ``threeplanes.barriers.services.SERVE``) carrying its three functions, each requesting 100m
of CPU and 32 MiB: the budget of 200m. The Service ``shop`` sends port 80 to them: ``GET
http://shop/<function>`` answers ``<function> <release> from <pod>``. ``shop-client`` is a busybox pod
that sleeps: the checker sends its requests from it, as the shop's other services would. Running the
setup again leaves what is there in place.
"""

from __future__ import annotations

from kubernetes import client as k8s

from threeplanes.barriers import services
from threeplanes.checking import missions
from threeplanes.kit.wait import wait_for_rollout

NAME, CLIENT = services.ENTRY, "shop-client"
BUDGET_M = services.total_requests(services.monolith())["cpu"]


def _create(create, namespace: str, body: dict) -> None:
    try:
        create(namespace, body)
    except k8s.ApiException as error:
        if error.status != 409:  # already there: a second setup keeps it
            raise


def apply(cluster, namespace: str) -> None:
    made, answering = services.monolith()
    _create(cluster.apps.create_namespaced_deployment, namespace, made)
    _create(cluster.core.create_namespaced_service, namespace, answering)
    _create(cluster.core.create_namespaced_pod, namespace, missions.idle_client_pod(CLIENT))
    wait_for_rollout(cluster, namespace, NAME, timeout=120)
    print(f"Deployment {NAME} (2 pods, {BUDGET_M}m of CPU in all), Service {NAME} and pod {CLIENT} in {namespace}.")
