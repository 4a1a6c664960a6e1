"""Right, written another way: the claim from a short manifest, then the setup's Deployment changed in place
with one JSON patch (a volume for the claim, mounted at the app's data path), as a learner types it."""

import json

from threeplanes.barriers.state import kubectl_apply
from threeplanes.kit.kubectl import kubectl

CLAIM = {
    "apiVersion": "v1",
    "kind": "PersistentVolumeClaim",
    "metadata": {"name": "data"},
    "spec": {"storageClassName": "", "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
}
PATCH = [
    {
        "op": "add",
        "path": "/spec/template/spec/volumes",
        "value": [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}],
    },
    {
        "op": "add",
        "path": "/spec/template/spec/containers/0/volumeMounts",
        "value": [{"name": "data", "mountPath": "/var/lib/notes"}],
    },
]


def apply(cluster, namespace: str) -> None:
    n = f"-n {namespace}"
    kubectl_apply(cluster, namespace, [CLAIM])
    kubectl(f"patch deployment notes --type=json -p '{json.dumps(PATCH)}' {n}", cluster, show=False)
    kubectl(f"rollout status deployment/notes --timeout=90s {n}", cluster, show=False, timeout=100)
