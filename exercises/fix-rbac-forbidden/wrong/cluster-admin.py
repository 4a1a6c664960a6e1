"""A fix that hides the symptom: the account bound to cluster-admin, cluster-wide (kubectl create
clusterrolebinding reporter-admin --clusterrole=cluster-admin --serviceaccount=NAMESPACE:reporter). The 403 is
gone; the app can now read every Secret of the cluster."""

from __future__ import annotations

from threeplanes.kit.labels import FOR_NAMESPACE


def apply(book, namespace: str) -> None:
    book.rbac.create_cluster_role_binding(
        {
            "metadata": {"name": f"reporter-admin-{namespace}", "labels": {FOR_NAMESPACE: namespace}},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
            "subjects": [{"kind": "ServiceAccount", "name": "reporter", "namespace": namespace}],
        }
    )
