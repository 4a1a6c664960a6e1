"""Setup of the s8-memory-limit exercise: the Deployment ``cruncher`` on the real node, with no resources.

``cruncher`` is agnhost's ``stress`` command: release 1 allocates 48 MiB in 4 MiB steps, writes
every byte, logs ``Allocated "48Mi" memory`` and holds it. Release 2 (``LEAK_ARGS``) has the leak:
it goes on in 8 MiB steps, one every 100 ms, up to 512 MiB. The checker runs release 2 under the
reader's limit. Running the setup again starts over.
"""

from __future__ import annotations

from typing import Any

from kubernetes import client

from threeplanes.kit.control_plane import on_real_node
from threeplanes.kit.wait import wait_for_gone, wait_for_rollout
from threeplanes.versions import pinned

NAME = "cruncher"
LABELS = {"app": NAME}
WORKING_SET = "48Mi"
LEAK_TOTAL = "512Mi"
ARGS = ["stress", "--mem-total", WORKING_SET, "--mem-alloc-size", "4Mi", "--mem-alloc-sleep", "50ms"]
LEAK_ARGS = ["stress", "--mem-total", LEAK_TOTAL, "--mem-alloc-size", "8Mi", "--mem-alloc-sleep", "100ms"]


def deployment() -> dict:
    container = {"name": NAME, "image": pinned().images["web"], "args": ARGS}
    spec = {"terminationGracePeriodSeconds": 1, "containers": [container]}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": NAME},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": LABELS},
            "template": {"metadata": {"labels": LABELS}, "spec": on_real_node(spec)},
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
    wait_for_rollout(cluster, namespace, NAME, timeout=90)
