"""Teardown of the f5-bin-packing exercise: delete the namespace's two nodes and wait until they are gone.

Run it when you are done:  .venv/bin/python exercises/f5-bin-packing/teardown.py <namespace>
"""

from __future__ import annotations

import sys

from threeplanes.connect import connect
from threeplanes.labnodes import OwnNodes


def apply(cluster, namespace: str) -> None:
    OwnNodes(namespace, owner="exercise-f5-bin-packing", pool="f5-bin-packing").delete(cluster)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: teardown.py <namespace>")
    apply(connect(), sys.argv[1])
    print("deleted the exercise's nodes")
