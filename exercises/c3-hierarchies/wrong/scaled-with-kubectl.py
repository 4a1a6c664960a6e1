"""Wrong: replicas set with kubectl scale, an update by the manager kubectl, not an apply by oncall."""

from threeplanes.conceptual.apply import server_side_apply
from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "catalog"},
        "spec": {"selector": {"app": "catalog", "role": "api"}, "ports": [{"port": 80, "targetPort": 8080}]},
    }
    server_side_apply(cluster, namespace, service, "team")
    kubectl(f"delete replicaset legacy -n {namespace}", cluster, show=False)
    kubectl(f"scale deployment catalog --replicas=3 -n {namespace}", cluster, show=False)
