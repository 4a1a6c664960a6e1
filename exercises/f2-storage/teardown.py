"""Teardown of the f2-storage exercise: delete the namespace's PersistentVolume and wait until it is gone."""

from __future__ import annotations

from threeplanes.kit.cleanup import delete_owned
from threeplanes.kit.labels import FOR_NAMESPACE, LAB_LABEL

OWNER = "exercise-f2-storage"


def apply(cluster, namespace: str) -> None:
    delete_owned(cluster, f"{LAB_LABEL}={OWNER},{FOR_NAMESPACE}={namespace}")
