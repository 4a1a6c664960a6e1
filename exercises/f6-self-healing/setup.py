"""Setup of the f6-self-healing exercise: three nodes of 2 CPUs and 4 GiB, for the reader's namespace.

Nodes belong to no namespace, so they are named after the reader's (``<namespace>-a``,
``-b`` and ``-c``) and labelled so that ``teardown.py`` and the leftover check find them.
They carry the label ``threeplanes.io/pool: <namespace>`` and the taint
``threeplanes.io/pool=<namespace>:NoSchedule``: only pods that select the one and tolerate the
other run there, so two readers on one cluster never share nodes. The setup prints both.
"""

from __future__ import annotations

from threeplanes.kit.labels import POOL
from threeplanes.kit.nodes import NodePool

EXERCISE = "f6-self-healing"


def apply(cluster, namespace: str) -> None:
    """Create the three nodes (unless they exist) and wait until they are Ready and schedulable."""
    cluster.require_simulated_nodes("The f6-self-healing exercise's three nodes, which it drains and stops,")
    nodes = NodePool(namespace, owner=f"exercise-{EXERCISE}")
    if not nodes.nodes(cluster):
        nodes.create(cluster, "a", "b", "c", cpu="2", memory="4Gi", remove_at_exit=False)
    names = ", ".join(n.metadata.name for n in nodes.nodes(cluster))
    print(f"Your nodes: {names} (2 CPUs and 4Gi each)")
    print(f"  label: {POOL}={namespace}  (select it)")
    print(f"  taint: {POOL}={namespace}:NoSchedule  (tolerate it)")
