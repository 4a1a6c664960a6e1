"""Setup of the f6-self-healing exercise: three nodes of 2 CPUs and 4 GiB, for the reader's namespace.

Nodes belong to no namespace, so they are named after the reader's (``<namespace>-a``,
``-b`` and ``-c``) and labelled so that ``teardown.py`` and the leftover check find them.
They carry the taint ``threeplanes.io/pool=f6-self-healing:NoSchedule`` and the label
``threeplanes.io/pool: f6-self-healing``: only pods that tolerate the one and select the
other run there.

Run it for your namespace:  .venv/bin/python exercises/f6-self-healing/setup.py <namespace>
"""

from __future__ import annotations

import sys

from threeplanes.connect import connect
from threeplanes.errors import LabError
from threeplanes.labnodes import OwnNodes

EXERCISE = "f6-self-healing"


def apply(cluster, namespace: str) -> None:
    """Create the three nodes (unless they exist) and wait until they are Ready and schedulable."""
    cluster.require_simulated_nodes("The f6-self-healing exercise's three nodes, which it drains and stops,")
    nodes = OwnNodes(namespace, owner=f"exercise-{EXERCISE}", pool=EXERCISE)
    if not nodes.list(cluster):
        nodes.create(cluster, ["a", "b", "c"], cpu="2", memory="4Gi", remove_at_exit=False)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: setup.py <namespace>")
    try:
        apply(connect(), sys.argv[1])
    except LabError as error:
        sys.exit(f"error: {error}")
    print(f"Three nodes {sys.argv[1]}-a, -b, -c are Ready: kubectl get nodes -l threeplanes.io/pool={EXERCISE}")
