"""Setup of the f5-bin-packing exercise: two nodes of 2 CPUs and 4 GiB, of the reader's own.

Nodes belong to no namespace, so they are named after the reader's (``<namespace>-a`` and
``<namespace>-b``) and labelled so that ``teardown.py`` and the leftover check find them.
They carry the label ``threeplanes.io/pool: <namespace>`` and the taint
``threeplanes.io/pool=<namespace>:NoSchedule``: only pods that select the one and tolerate
the other run there, so two readers on one cluster never share nodes. The setup prints both.
"""

from __future__ import annotations

from threeplanes.kit.labels import POOL
from threeplanes.kit.nodes import NodePool

EXERCISE = "f5-bin-packing"


def exercise_nodes(namespace: str) -> NodePool:
    return NodePool(namespace, owner=f"exercise-{EXERCISE}")


def apply(cluster, namespace: str) -> None:
    """Create the two nodes (unless they exist), wait until they are Ready, and say how to reach them."""
    cluster.require_simulated_nodes("The f5-bin-packing exercise's two nodes of 2 CPUs")
    nodes = exercise_nodes(namespace)
    if not nodes.nodes(cluster):
        nodes.create(cluster, "a", "b", cpu="2", memory="4Gi", remove_at_exit=False)
    names = ", ".join(n.metadata.name for n in nodes.nodes(cluster))
    print(f"Your nodes: {names} (2 CPUs and 4Gi each)")
    print(f"  label: {POOL}={namespace}  (select it)")
    print(f"  taint: {POOL}={namespace}:NoSchedule  (tolerate it)")
