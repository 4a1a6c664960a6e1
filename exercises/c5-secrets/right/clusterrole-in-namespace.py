"""A right answer written another way: a ClusterRole (reusable in any namespace) bound by a RoleBinding.

A RoleBinding that refers to a ClusterRole grants its rules in the RoleBinding's namespace only.
The ClusterRole is cluster-wide, so it is named after the namespace and labelled for the teardown.
"""

from threeplanes.kit.labels import FOR_NAMESPACE, owned_labels

RULE = {"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["db-password"], "verbs": ["get"]}


def apply(cluster, namespace: str) -> None:
    name = f"{namespace}-read-db-password"
    labels = owned_labels("exercise-c5-secrets", **{FOR_NAMESPACE: namespace})
    cluster.rbac.create_cluster_role({"metadata": {"name": name, "labels": labels}, "rules": [RULE]})
    cluster.rbac.create_namespaced_role_binding(
        namespace,
        {
            "metadata": {"name": "billing-reads-db-password"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
            "subjects": [{"kind": "ServiceAccount", "name": "billing", "namespace": namespace}],
        },
    )
