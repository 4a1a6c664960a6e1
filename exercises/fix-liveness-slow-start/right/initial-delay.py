"""Right, written another way: the liveness probe's first try delayed 15 s, past the warm-up, with
kubectl and a JSON patch. (A startup probe adapts better to a warm-up that varies.)"""

import json

from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    path = "/spec/template/spec/containers/0/livenessProbe/initialDelaySeconds"
    patch = json.dumps([{"op": "add", "path": path, "value": 15}])
    kubectl(f"patch deployment search --type=json -p '{patch}' -n {namespace}", cluster, show=False)
    kubectl(f"rollout status deployment/search --timeout=90s -n {namespace}", cluster, show=False, timeout=100)
