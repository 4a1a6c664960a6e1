"""A typical wrong answer: the right rule, bound by a ClusterRoleBinding, so it holds in every namespace.

Cluster-wide objects are named after the namespace and labelled for the teardown.
"""

from threeplanes.kit.labels import FOR_NAMESPACE, owned_labels

RULE = {"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["db-password"], "verbs": ["get"]}


def apply(cluster, namespace: str) -> None:
    name = f"{namespace}-read-db-password"
    labels = owned_labels("exercise-c5-secrets", **{FOR_NAMESPACE: namespace})
    cluster.rbac.create_cluster_role({"metadata": {"name": name, "labels": labels}, "rules": [RULE]})
    cluster.rbac.create_cluster_role_binding(
        {
            "metadata": {"name": name, "labels": labels},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
            "subjects": [{"kind": "ServiceAccount", "name": "billing", "namespace": namespace}],
        }
    )
