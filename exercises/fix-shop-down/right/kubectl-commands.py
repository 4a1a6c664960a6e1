"""Right, written another way, with kubectl: the volume maps the key ``banner.txt`` to the file ``banner``
(the ConfigMap left as the team renamed it), the probe's port and the Service's ``targetPort`` set to
8080 by JSON patches."""

import json

from threeplanes.kit.kubectl import kubectl

ITEMS = [
    {
        "op": "add",
        "path": "/spec/template/spec/volumes/0/configMap/items",
        "value": [{"key": "banner.txt", "path": "banner"}],
    },
    {"op": "replace", "path": "/spec/template/spec/containers/0/readinessProbe/httpGet/port", "value": 8080},
]
TARGET = [{"op": "replace", "path": "/spec/ports/0/targetPort", "value": 8080}]


def apply(cluster, namespace: str) -> None:
    n = f"-n {namespace}"
    kubectl(f"patch deployment shop --type=json -p '{json.dumps(ITEMS)}' {n}", cluster, show=False)
    kubectl(f"patch service shop --type=json -p '{json.dumps(TARGET)}' {n}", cluster, show=False)
    kubectl(f"rollout status deployment/shop --timeout=90s {n}", cluster, show=False, timeout=100)
