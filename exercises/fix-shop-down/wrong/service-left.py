"""Wrong, half done: the crash and the probe mended (the first two rounds of hints), the Service left
sending its port to 80, where the pods do not listen."""

import json

from threeplanes.kit.kubectl import kubectl

DEPLOYMENT = [
    {
        "op": "add",
        "path": "/spec/template/spec/volumes/0/configMap/items",
        "value": [{"key": "banner.txt", "path": "banner"}],
    },
    {"op": "replace", "path": "/spec/template/spec/containers/0/readinessProbe/httpGet/port", "value": "http"},
]


def apply(cluster, namespace: str) -> None:
    n = f"-n {namespace}"
    kubectl(f"patch deployment shop --type=json -p '{json.dumps(DEPLOYMENT)}' {n}", cluster, show=False)
    kubectl(f"rollout status deployment/shop --timeout=90s {n}", cluster, show=False, timeout=100)
