"""Wrong: the ReplicaSet legacy is deleted with --cascade=orphan, which leaves its pod behind with no owner."""

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
    kubectl(f"delete replicaset legacy --cascade=orphan -n {namespace}", cluster, show=False)
    scale = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "catalog"}, "spec": {"replicas": 3}}
    server_side_apply(cluster, namespace, scale, "oncall", force=True)
