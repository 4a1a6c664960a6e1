"""Right, written another way: a StatefulSet generated from the setup's Deployment (its pod template, and a
claim template data whose claim, data-notes-0, gets the volume the setup reserved for it), applied with
kubectl; then the Deployment is deleted. The claim template names no storage class: with no default class on
the cluster, it binds a volume of no class."""

import yaml

from threeplanes.barriers.state import kubectl_apply
from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    n = f"-n {namespace}"
    deployment = yaml.safe_load(kubectl(f"get deployment notes -o yaml {n}", cluster, show=False))
    template = deployment["spec"]["template"]
    template["spec"]["containers"][0]["volumeMounts"] = [{"name": "data", "mountPath": "/var/lib/notes"}]
    claim = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}
    statefulset = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "notes"},
        "spec": {
            "serviceName": "notes",
            "replicas": 1,
            "selector": {"matchLabels": {"app": "notes"}},
            "template": template,
            "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": claim}],
        },
    }
    kubectl(f"delete deployment notes --wait=true {n}", cluster, show=False, timeout=90)
    kubectl_apply(cluster, namespace, [statefulset])
    kubectl(f"rollout status statefulset/notes --timeout=90s {n}", cluster, show=False, timeout=100)
