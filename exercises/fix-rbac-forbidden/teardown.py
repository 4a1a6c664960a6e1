"""Teardown of the fix-rbac-forbidden mission: the ClusterRoleBindings that name the namespace's reporter (a fix
that bound it cluster-wide, or the book's tests' wrong answer), which the namespace's deletion leaves."""

from __future__ import annotations

from kubernetes import client


def apply(book, namespace: str) -> None:
    for found in book.rbac.list_cluster_role_binding().items:
        subjects = found.subjects or []
        if any(s.kind == "ServiceAccount" and s.name == "reporter" and s.namespace == namespace for s in subjects):
            try:
                book.rbac.delete_cluster_role_binding(found.metadata.name)
            except client.ApiException as error:
                if error.status != 404:
                    raise
