"""Right, written another way: a CPU limit and no request; the API server sets each pod's request to it."""

from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    kubectl(f"set resources deployment api --limits=cpu=100m -n {namespace}", cluster, show=False)
    kubectl(f"autoscale deployment api --min=2 --max=5 --cpu=60% -n {namespace}", cluster, show=False)
