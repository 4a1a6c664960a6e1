"""Right, done another way: the Service patched with both labels, the orphan deleted in the foreground, and
the team's manifest applied again without replicas (it gives the field up), so oncall needs no force."""

import json

from threeplanes.conceptual.apply import server_side_apply
from threeplanes.kit.kubectl import kubectl

WEB = "registry.k8s.io/e2e-test-images/agnhost:2.63"


def apply(cluster, namespace: str) -> None:
    selector = json.dumps({"spec": {"selector": {"app": "catalog", "role": "api"}}})
    kubectl(f"patch service catalog -n {namespace} --type=merge -p '{selector}'", cluster, show=False)
    kubectl(f"delete replicaset legacy --cascade=foreground -n {namespace}", cluster, show=False)
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
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
        },
    }
    server_side_apply(cluster, namespace, team_manifest, "team")
    scale = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "catalog"}, "spec": {"replicas": 3}}
    server_side_apply(cluster, namespace, scale, "oncall")
