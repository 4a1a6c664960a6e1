"""Right, written another way: the Deployment pointed at the key the ConfigMap has (``welcome-message``),
with one JSON patch from kubectl. The Deployment rolls out a new pod; the ConfigMap stays as it is."""

import json

from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    path = "/spec/template/spec/containers/0/env/0/valueFrom/configMapKeyRef/key"
    patch = json.dumps([{"op": "replace", "path": path, "value": "welcome-message"}])
    kubectl(f"patch deployment storefront --type=json -p '{patch}' -n {namespace}", cluster, show=False)
    kubectl(f"rollout status deployment/storefront --timeout=90s -n {namespace}", cluster, show=False, timeout=100)
