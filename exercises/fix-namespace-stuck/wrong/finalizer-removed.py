"""Wrong: the finalizer removed at once, as a search for "namespace stuck terminating" suggests. The
namespace goes; the ledger goes with it, never archived."""

import json

from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    old = f"{namespace}-old"
    patch = json.dumps([{"op": "remove", "path": "/metadata/finalizers"}])
    kubectl(f"patch configmap ledger -n {old} --type=json -p '{patch}'", cluster, show=False)
    kubectl(f"wait --for=delete namespace/{old} --timeout=60s", cluster, show=False, timeout=70)
