"""Setup of the s3-scheduler exercise: four simulated nodes of the reader's own, labelled for the rule.

Nodes belong to no namespace, so they are named after the reader's (``<namespace>-a`` to
``<namespace>-d``) and labelled ``threeplanes.io/for-namespace: <namespace>``: the nodes the
reader's scheduler chooses among. ``-a`` and ``-c`` carry ``disk: ssd``, ``-b`` carries
``disk: hdd``, ``-d`` no disk label. Their taint ``threeplanes.io/pool=<namespace>:NoSchedule``
keeps the default scheduler from putting anyone else's pods there; a scheduler that binds does
not ask. ``teardown.py`` deletes them.
"""

from __future__ import annotations

from threeplanes.kit.labels import FOR_NAMESPACE
from threeplanes.kit.nodes import NodePool, wait_for_schedulable

EXERCISE = "s3-scheduler"
DISKS = {"a": "ssd", "b": "hdd", "c": "ssd", "d": None}


def exercise_nodes(namespace: str) -> NodePool:
    return NodePool(namespace, owner=f"exercise-{EXERCISE}")


def apply(cluster, namespace: str) -> None:
    """Create the four nodes (unless they exist), wait until they are Ready, and list them."""
    cluster.require_simulated_nodes("The s3-scheduler exercise's four nodes")
    nodes = exercise_nodes(namespace)
    if not nodes.nodes(cluster):
        for suffix, disk in DISKS.items():
            body = nodes.body(suffix)
            if disk:
                body["metadata"]["labels"]["disk"] = disk
            cluster.core.create_node(body)
    wait_for_schedulable(cluster, nodes.selector, len(DISKS))
    print(f"Your nodes ({FOR_NAMESPACE}={namespace}):")
    for node in nodes.nodes(cluster):
        print(f"  {node.metadata.name}  disk={(node.metadata.labels or {}).get('disk', '(none)')}")
