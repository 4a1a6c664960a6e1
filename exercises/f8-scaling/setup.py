"""Setup of the f8-scaling exercise: a simulated node of the reader's own and the Deployment ``api`` on it.

The node is tainted so that only ``api``'s pods run there, and annotated so that metrics-server
reads the CPU its pods report. ``api``'s pods report 30m of CPU each and request none yet.
"""

from __future__ import annotations

from kubernetes import client

from threeplanes.functional.scaling import USAGE_CPU
from threeplanes.kit.nodes import NodePool, wait_for_schedulable
from threeplanes.kit.wait import wait_for_rollout
from threeplanes.versions import pinned

LAB = "exercise-f8-scaling"


def pool(namespace: str) -> NodePool:
    return NodePool(namespace, LAB)


def deployment(namespace: str) -> dict:
    labels = {"app": "api"}
    container = {"name": "api", "image": pinned().images["web"], "args": ["netexec"]}
    template = {
        "metadata": {"labels": labels, "annotations": {USAGE_CPU: "30m"}},
        "spec": {**pool(namespace).placement(), "containers": [container]},
    }
    spec = {"replicas": 2, "selector": {"matchLabels": labels}, "template": template}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api"}, "spec": spec}


def apply(cluster, namespace: str) -> None:
    """Create the node and the Deployment, unless they exist; wait until both are ready."""
    cluster.require_simulated_nodes("The f8-scaling exercise's node, whose pods report the CPU they use,")
    nodes = pool(namespace)
    if nodes.nodes(cluster):
        wait_for_schedulable(cluster, nodes.selector, 1)
    else:
        nodes.create(cluster, "node", cpu="4", memory="16Gi", remove_at_exit=False)
    try:
        cluster.apps.create_namespaced_deployment(namespace, deployment(namespace))
    except client.ApiException as error:
        if error.status != 409:
            raise
    wait_for_rollout(cluster, namespace, "api", timeout=60)
