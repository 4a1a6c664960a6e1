"""Wrong, and it hides a symptom: the key and the Service mended, but the readiness probe removed instead
of pointed at the server. The pods are Ready at once, and a pod that hangs keeps getting requests."""

import json

from threeplanes.kit.kubectl import kubectl

DEPLOYMENT = [
    {"op": "remove", "path": "/spec/template/spec/containers/0/readinessProbe"},
    {
        "op": "add",
        "path": "/spec/template/spec/volumes/0/configMap/items",
        "value": [{"key": "banner.txt", "path": "banner"}],
    },
]
SERVICE = [{"op": "replace", "path": "/spec/ports/0/targetPort", "value": "http"}]


def apply(cluster, namespace: str) -> None:
    n = f"-n {namespace}"
    kubectl(f"patch deployment shop --type=json -p '{json.dumps(DEPLOYMENT)}' {n}", cluster, show=False)
    kubectl(f"patch service shop --type=json -p '{json.dumps(SERVICE)}' {n}", cluster, show=False)
    kubectl(f"rollout status deployment/shop --timeout=90s {n}", cluster, show=False, timeout=100)
