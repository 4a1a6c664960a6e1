"""Teardown of the c6-controllers exercise: delete the namespace's volumes and StorageClass."""

from __future__ import annotations

from threeplanes.kit.cleanup import delete_owned
from threeplanes.kit.labels import FOR_NAMESPACE, LAB_LABEL

OWNER = "exercise-c6-controllers"


def apply(cluster, namespace: str) -> None:
    delete_owned(cluster, f"{LAB_LABEL}={OWNER},{FOR_NAMESPACE}={namespace}")
