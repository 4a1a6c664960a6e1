"""Wrong: the right budget, created without -n, in the namespace default; it covers no member.

The budget is named after the reader's namespace, so that two runs never share one, and deleted when
this process ends (nothing else removes what a case leaves in default).
"""

from threeplanes.kit.deleting import at_exit
from threeplanes.kit.labels import owned_labels

BUDGET = {
    "apiVersion": "policy/v1",
    "kind": "PodDisruptionBudget",
    "metadata": {"name": "etcd"},
    "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "etcd"}}},
}


def apply(cluster, namespace: str) -> None:
    body = {**BUDGET, "metadata": {"name": f"etcd-{namespace}", "labels": owned_labels("exercise-a5-quorum-budget")}}
    cluster.policy.create_namespaced_pod_disruption_budget("default", body)
    at_exit(cluster.policy.delete_namespaced_pod_disruption_budget, body["metadata"]["name"], "default")
