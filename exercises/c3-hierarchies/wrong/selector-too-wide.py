"""Wrong: the Service selects app=catalog, which the admin pods carry too, so they get the catalog's traffic."""

from threeplanes.conceptual.apply import server_side_apply
from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "catalog"},
        "spec": {"selector": {"app": "catalog"}, "ports": [{"port": 80, "targetPort": 8080}]},
    }
    server_side_apply(cluster, namespace, service, "team")
    kubectl(f"delete replicaset legacy -n {namespace}", cluster, show=False)
    scale = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "catalog"}, "spec": {"replicas": 3}}
    server_side_apply(cluster, namespace, scale, "oncall", force=True)
