"""Wrong, and it hides the symptom: the readiness probe deleted. The rollout finishes at once, and every
new pod takes customers' requests during its warm-up."""

import json

from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    patch = json.dumps([{"op": "remove", "path": "/spec/template/spec/containers/0/readinessProbe"}])
    kubectl(f"patch deployment checkout --type=json -p '{patch}' -n {namespace}", cluster, show=False)
    kubectl(f"rollout status deployment/checkout --timeout=90s -n {namespace}", cluster, show=False, timeout=100)
