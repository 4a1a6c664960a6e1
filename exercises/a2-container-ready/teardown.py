"""Teardown of the a2-container-ready exercise: delete the namespace's volume, then its folder on the real node.

The image stays in the node's containerd, pinned, for the next setup to reuse.
"""

from __future__ import annotations

from threeplanes.barriers import containerise as a2
from threeplanes.kit.cleanup import delete_owned
from threeplanes.kit.labels import FOR_NAMESPACE, LAB_LABEL

OWNER = "exercise-a2-container-ready"


def apply(cluster, namespace: str) -> None:
    delete_owned(cluster, f"{LAB_LABEL}={OWNER},{FOR_NAMESPACE}={namespace}")
    a2.remove_state_folder(f"tally-state-{namespace}")
