"""Setup of the f2-storage exercise: a pre-provisioned PersistentVolume waiting for the reader's claim.

PersistentVolumes belong to no namespace, so the volume is named after the reader's namespace
(``archive-<namespace>``) and labelled so that ``teardown.py`` and the leftover check find it.

Run it for your namespace:  .venv/bin/python exercises/f2-storage/setup.py <namespace>
"""

from __future__ import annotations

import sys

from kubernetes import client

from threeplanes.connect import connect
from threeplanes.storage import owned_labels, persistent_volume, wait_for_volume

CLASS = "archive"
SIZE = "2Gi"
MODES = ["ReadWriteOnce"]


def volume_name(namespace: str) -> str:
    return f"archive-{namespace}"


def apply(cluster, namespace: str) -> None:
    """Create the volume (or make a released one available again) and wait until it is Available."""
    name = volume_name(namespace)
    labels = owned_labels("exercise-f2-storage", **{"threeplanes.io/for-namespace": namespace})
    body = persistent_volume(name, labels, SIZE, MODES, storage_class=CLASS)
    try:
        cluster.core.create_persistent_volume(body)
    except client.ApiException as error:
        if error.status != 409:
            raise
        volume = cluster.core.read_persistent_volume(name)
        if volume.status.phase == "Released":
            cluster.core.patch_persistent_volume(name, {"spec": {"claimRef": None}})
    wait_for_volume(cluster, name, "Available", timeout=30)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: setup.py <namespace>")
    apply(connect(), sys.argv[1])
    print(f"PersistentVolume {volume_name(sys.argv[1])} is Available: kubectl get pv {volume_name(sys.argv[1])}")
