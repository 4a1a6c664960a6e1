"""Right, written another way: with kubectl, the ledger read as JSON and archived key by key
(``kubectl create configmap --from-literal``), then its finalizer removed with a JSON patch, and the
namespace's deletion awaited with ``kubectl wait``."""

import json
import shlex

from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    old = f"{namespace}-old"
    ledger = json.loads(kubectl(f"get configmap ledger -n {old} -o json", cluster, show=False))
    literals = " ".join(shlex.quote(f"--from-literal={k}={v}") for k, v in ledger["data"].items())
    kubectl(f"create configmap ledger-archive {literals} -n {namespace}", cluster, show=False)
    patch = json.dumps([{"op": "remove", "path": "/metadata/finalizers"}])
    kubectl(f"patch configmap ledger -n {old} --type=json -p '{patch}'", cluster, show=False)
    kubectl(f"wait --for=delete namespace/{old} --timeout=60s", cluster, show=False, timeout=70)
