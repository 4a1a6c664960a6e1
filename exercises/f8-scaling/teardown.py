"""Teardown of the f8-scaling exercise: delete the namespace's simulated node and wait until it is gone.

Run it when you are done:  .venv/bin/python exercises/f8-scaling/teardown.py <namespace>
"""

from __future__ import annotations

import sys

from threeplanes.connect import connect
from threeplanes.scaling import NodePool


def apply(cluster, namespace: str) -> None:
    NodePool(namespace, "exercise-f8-scaling").delete(cluster)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: teardown.py <namespace>")
    apply(connect(), sys.argv[1])
    print("deleted the exercise's node")
