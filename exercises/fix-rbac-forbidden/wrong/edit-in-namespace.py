"""Too broad, in the namespace alone: the account bound to the built-in ClusterRole edit by a RoleBinding. It
reads ConfigMaps, and may also write them, and read the namespace's Secrets."""

from __future__ import annotations


def apply(book, namespace: str) -> None:
    book.rbac.create_namespaced_role_binding(
        namespace,
        {
            "metadata": {"name": "reporter-edit"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"},
            "subjects": [{"kind": "ServiceAccount", "name": "reporter", "namespace": namespace}],
        },
    )
