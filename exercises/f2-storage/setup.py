"""Setup of the f2-storage exercise: a pre-provisioned PersistentVolume waiting for the reader's claim.

PersistentVolumes belong to no namespace, so the volume is named after the reader's namespace
(``archive-<namespace>``) and labelled so that ``teardown.py`` and the leftover check find it.
It is reserved for the claim ``data`` of that namespace (``spec.claimRef`` without a uid), as
an administrator reserves a volume for one team: without that, a fitting claim in any other
namespace (another attempt at this exercise) could take it first.
"""

from __future__ import annotations

from kubernetes import client

from threeplanes.functional.storage import persistent_volume, wait_for_volume
from threeplanes.kit.labels import FOR_NAMESPACE, owned_labels

OWNER = "exercise-f2-storage"
CLASS = "archive"
SIZE = "2Gi"
MODES = ["ReadWriteOnce"]
CLAIM = "data"


def volume_name(namespace: str) -> str:
    return f"archive-{namespace}"


def apply(cluster, namespace: str) -> None:
    """Create the volume (or make a released one available again) and wait until it is Available."""
    name = volume_name(namespace)
    labels = owned_labels(OWNER, **{FOR_NAMESPACE: namespace})
    reservation = {"namespace": namespace, "name": CLAIM}
    body = persistent_volume(name, labels, SIZE, MODES, storage_class=CLASS)
    body["spec"]["claimRef"] = reservation
    try:
        cluster.core.create_persistent_volume(body)
    except client.ApiException as error:
        if error.status != 409:
            raise
        volume = cluster.core.read_persistent_volume(name)
        if volume.status.phase == "Released":
            # Reserved again, for a new claim: the released claim's uid and version go.
            again = {**reservation, "uid": None, "resourceVersion": None}
            cluster.core.patch_persistent_volume(name, {"spec": {"claimRef": again}})
    wait_for_volume(cluster, name, "Available", timeout=30)
