"""Right, written another way: one JSON patch with kubectl, replacing only the first word of args, as a
reader types it after reading ``kubectl logs --previous`` ("unknown command "net-exec"... Did you mean
netexec?")."""

import json

from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    patch = json.dumps([{"op": "replace", "path": "/spec/template/spec/containers/0/args/0", "value": "netexec"}])
    kubectl(f"patch deployment shop-api --type=json -p '{patch}' -n {namespace}", cluster, show=False)
    kubectl(f"rollout status deployment/shop-api --timeout=90s -n {namespace}", cluster, show=False, timeout=100)
