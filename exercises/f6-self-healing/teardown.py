"""Teardown of the f6-self-healing exercise: delete the namespace's three nodes and wait until they are gone.

Run it when you are done:  .venv/bin/python exercises/f6-self-healing/teardown.py <namespace>
"""

from __future__ import annotations

import sys

from threeplanes.connect import connect
from threeplanes.labnodes import OwnNodes


def apply(cluster, namespace: str) -> None:
    OwnNodes(namespace, owner="exercise-f6-self-healing", pool="f6-self-healing").delete(cluster)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: teardown.py <namespace>")
    apply(connect(), sys.argv[1])
    print("deleted the exercise's nodes")
