"""Solution of s8-memory-limit: a memory limit of 128Mi on cruncher's container.

Release 1 holds 48 MiB of data, and its process needs some more for itself (the Go runtime, the
pages of its binary): about 57 MiB in all on the real node, so 56Mi is not enough and 64Mi is
tight. The leak wants 512 MiB. Any limit well between the two does; 128Mi leaves release 1 room to
grow and stops the leak within a second. The request is set equal to the limit, so that the
scheduler keeps that much for the pod.
"""

from __future__ import annotations

from threeplanes.kit.wait import wait_for_rollout


def resources_patch(resources: dict) -> dict:
    return {"spec": {"template": {"spec": {"containers": [{"name": "cruncher", "resources": resources}]}}}}


def set_resources(cluster, namespace: str, resources: dict, wait: bool = True) -> None:
    cluster.apps.patch_namespaced_deployment("cruncher", namespace, resources_patch(resources))
    if wait:
        wait_for_rollout(cluster, namespace, "cruncher", timeout=90)


def apply(cluster, namespace: str) -> None:
    set_resources(cluster, namespace, {"requests": {"memory": "128Mi"}, "limits": {"memory": "128Mi"}})
