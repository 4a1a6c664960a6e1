"""Wrong, and it hides the symptom: the memory limit removed. Nothing kills the container any more,
and nothing would stop it from taking the node's memory."""

import json

from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    patch = json.dumps([{"op": "remove", "path": "/spec/template/spec/containers/0/resources/limits"}])
    kubectl(f"patch deployment thumbnailer --type=json -p '{patch}' -n {namespace}", cluster, show=False)
    kubectl(f"rollout status deployment/thumbnailer --timeout=90s -n {namespace}", cluster, show=False, timeout=100)
