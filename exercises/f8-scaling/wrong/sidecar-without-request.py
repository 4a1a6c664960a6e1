"""Wrong: api's container requests CPU, but a second container added to its pods requests none."""

from threeplanes.kit.kubectl import kubectl
from threeplanes.versions import pinned


def apply(cluster, namespace: str) -> None:
    kubectl(f"set resources deployment api --requests=cpu=100m -n {namespace}", cluster, show=False)
    sidecar = {"name": "sidecar", "image": pinned().images["web"], "args": ["pause"]}
    patch = {"spec": {"template": {"spec": {"containers": [sidecar]}}}}
    cluster.apps.patch_namespaced_deployment("api", namespace, patch)  # strategic merge: the list gains one
    kubectl(f"autoscale deployment api --min=2 --max=5 --cpu=60% -n {namespace}", cluster, show=False)
