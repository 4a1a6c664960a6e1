"""A solution: the selector fixed in the team's manifest, the orphan deleted with its pod, replicas handed to oncall."""

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
    kubectl(f"delete replicaset legacy -n {namespace}", cluster, show=False)  # cascades in the background
    scale = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "catalog"}, "spec": {"replicas": 3}}
    server_side_apply(cluster, namespace, scale, "oncall", force=True)
