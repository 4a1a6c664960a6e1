"""Wrong, and it hides the symptom: the liveness probe asked every ten minutes. The warm-up is over
long before the second failure, and a hang goes unnoticed for twenty minutes."""

import json

from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    path = "/spec/template/spec/containers/0/livenessProbe/periodSeconds"
    patch = json.dumps([{"op": "replace", "path": path, "value": 600}])
    kubectl(f"patch deployment search --type=json -p '{patch}' -n {namespace}", cluster, show=False)
    kubectl(f"rollout status deployment/search --timeout=90s -n {namespace}", cluster, show=False, timeout=100)
