"""Right, written another way: the probe pointed at the page customers get, ``/``, which exists only
once the application is warm too; with kubectl and a JSON patch."""

import json

from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    path = "/spec/template/spec/containers/0/readinessProbe/httpGet/path"
    patch = json.dumps([{"op": "replace", "path": path, "value": "/"}])
    kubectl(f"patch deployment checkout --type=json -p '{patch}' -n {namespace}", cluster, show=False)
    kubectl(f"rollout status deployment/checkout --timeout=90s -n {namespace}", cluster, show=False, timeout=100)
