"""Setup of the f5-bin-packing exercise: two nodes of 2 CPUs and 4 GiB, for the reader's namespace.

Nodes belong to no namespace, so they are named after the reader's (``<namespace>-a`` and
``<namespace>-b``) and labelled so that ``teardown.py`` and the leftover check find them.
They carry the taint ``threeplanes.io/pool=f5-bin-packing:NoSchedule`` and the label
``threeplanes.io/pool: f5-bin-packing``: only pods that tolerate the one and select the other
run there.
"""

from __future__ import annotations

from threeplanes.kit.nodes import NodePool

EXERCISE = "f5-bin-packing"


def exercise_nodes(namespace: str) -> NodePool:
    return NodePool(namespace, owner=f"exercise-{EXERCISE}", pool=EXERCISE)


def apply(cluster, namespace: str) -> None:
    """Create the two nodes (unless they exist) and wait until they are Ready and schedulable."""
    cluster.require_simulated_nodes("The f5-bin-packing exercise's two nodes of 2 CPUs")
    nodes = exercise_nodes(namespace)
    if not nodes.nodes(cluster):
        nodes.create(cluster, "a", "b", cpu="2", memory="4Gi", remove_at_exit=False)
