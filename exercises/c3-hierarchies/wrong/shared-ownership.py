"""Wrong: the team's manifest says replicas 3 as well, so team and oncall share the field: the next change
by either one conflicts with the other."""

from threeplanes.conceptual.apply import server_side_apply
from threeplanes.kit.kubectl import kubectl

WEB = "registry.k8s.io/e2e-test-images/agnhost:2.63"


def apply(cluster, namespace: str) -> None:
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "catalog"},
        "spec": {"selector": {"app": "catalog", "role": "api"}, "ports": [{"port": 80, "targetPort": 8080}]},
    }
    server_side_apply(cluster, namespace, service, "team")
    kubectl(f"delete replicaset legacy -n {namespace}", cluster, show=False)
    labels = {"app": "catalog", "role": "api"}
    container = {
        "name": "catalog",
        "image": WEB,
        "args": ["netexec", "--http-port=8080"],
        "ports": [{"containerPort": 8080}],
    }
    team_manifest = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "catalog", "labels": labels},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
        },
    }
    server_side_apply(cluster, namespace, team_manifest, "team")
    scale = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "catalog"}, "spec": {"replicas": 3}}
    server_side_apply(cluster, namespace, scale, "oncall")
