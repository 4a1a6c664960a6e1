"""Wrong: the selector replaced by the label the pods share, ``tier: backend``. It also selects the
admin pod, which answers a share of the catalog's requests."""

import json

from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    patch = json.dumps([{"op": "replace", "path": "/spec/selector", "value": {"tier": "backend"}}])
    kubectl(f"patch service catalog --type=json -p '{patch}' -n {namespace}", cluster, show=False)
