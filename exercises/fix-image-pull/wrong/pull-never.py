"""Wrong: ``imagePullPolicy: Never`` with the same mistyped tag. The kubelet stops trying to pull,
and looks for the image on the node alone, where it is not: the pod still never starts."""

import json

from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    patch = json.dumps(
        [{"op": "replace", "path": "/spec/template/spec/containers/0/imagePullPolicy", "value": "Never"}]
    )
    kubectl(f"patch deployment catalogue --type=json -p '{patch}' -n {namespace}", cluster, show=False)
