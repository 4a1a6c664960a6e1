"""Wrong, and it hides the symptom: the liveness probe removed. The search service starts and stays
up, and a search engine that hangs is never restarted."""

import json

from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    patch = json.dumps([{"op": "remove", "path": "/spec/template/spec/containers/0/livenessProbe"}])
    kubectl(f"patch deployment search --type=json -p '{patch}' -n {namespace}", cluster, show=False)
    kubectl(f"rollout status deployment/search --timeout=90s -n {namespace}", cluster, show=False, timeout=100)
