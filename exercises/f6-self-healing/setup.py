"""Setup of the f6-self-healing exercise: three nodes of 2 CPUs and 4 GiB, for the reader's namespace.

Nodes belong to no namespace, so they are named after the reader's (``<namespace>-a``,
``-b`` and ``-c``) and labelled so that ``teardown.py`` and the leftover check find them.
They carry the taint ``threeplanes.io/pool=f6-self-healing:NoSchedule`` and the label
``threeplanes.io/pool: f6-self-healing``: only pods that tolerate the one and select the
other run there.
"""

from __future__ import annotations

from threeplanes.kit.nodes import NodePool

EXERCISE = "f6-self-healing"


def apply(cluster, namespace: str) -> None:
    """Create the three nodes (unless they exist) and wait until they are Ready and schedulable."""
    cluster.require_simulated_nodes("The f6-self-healing exercise's three nodes, which it drains and stops,")
    nodes = NodePool(namespace, owner=f"exercise-{EXERCISE}", pool=EXERCISE)
    if not nodes.nodes(cluster):
        nodes.create(cluster, "a", "b", "c", cpu="2", memory="4Gi", remove_at_exit=False)
