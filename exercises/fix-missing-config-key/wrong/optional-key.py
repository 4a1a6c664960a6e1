"""Wrong, and it hides the symptom: the reference marked ``optional: true``. The kubelet now makes the
container without the variable, the error is gone, and the storefront serves an empty page."""

import json

from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    path = "/spec/template/spec/containers/0/env/0/valueFrom/configMapKeyRef/optional"
    patch = json.dumps([{"op": "add", "path": path, "value": True}])
    kubectl(f"patch deployment storefront --type=json -p '{patch}' -n {namespace}", cluster, show=False)
    kubectl(f"rollout status deployment/storefront --timeout=90s -n {namespace}", cluster, show=False, timeout=100)
