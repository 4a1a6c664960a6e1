"""Wrong: the HTTP probe replaced by a TCP one on the same port. The port opens at once, before the
application can serve: the probe passes, and it no longer tells the truth."""

import json

from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    probe = {"tcpSocket": {"port": "http"}, "periodSeconds": 1}
    patch = json.dumps([{"op": "replace", "path": "/spec/template/spec/containers/0/readinessProbe", "value": probe}])
    kubectl(f"patch deployment checkout --type=json -p '{patch}' -n {namespace}", cluster, show=False)
    kubectl(f"rollout status deployment/checkout --timeout=90s -n {namespace}", cluster, show=False, timeout=100)
