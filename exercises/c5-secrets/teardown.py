"""Teardown of the c5-secrets exercise: delete the ClusterRoles and ClusterRoleBindings made for the namespace."""

from __future__ import annotations

from threeplanes.kit.cleanup import delete_owned
from threeplanes.kit.labels import FOR_NAMESPACE, LAB_LABEL

OWNER = "exercise-c5-secrets"


def apply(cluster, namespace: str) -> None:
    delete_owned(cluster, f"{LAB_LABEL}={OWNER},{FOR_NAMESPACE}={namespace}")
