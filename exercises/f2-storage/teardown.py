"""Teardown of the f2-storage exercise: delete the namespace's PersistentVolume and wait until it is gone.

Run it when you are done:  .venv/bin/python exercises/f2-storage/teardown.py <namespace>
"""

from __future__ import annotations

import sys

from threeplanes.connect import connect
from threeplanes.storage import delete_labelled


def apply(cluster, namespace: str) -> None:
    delete_labelled(cluster, f"threeplanes.io/lab=exercise-f2-storage,threeplanes.io/for-namespace={namespace}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: teardown.py <namespace>")
    apply(connect(), sys.argv[1])
    print("deleted the exercise's PersistentVolume")
