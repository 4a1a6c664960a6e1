"""Wrong: CPU requests and a CPU target, but the replica range is 1 to 10 instead of 2 to 5."""

from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    kubectl(f"set resources deployment api --requests=cpu=100m -n {namespace}", cluster, show=False)
    kubectl(f"autoscale deployment api --min=1 --max=10 --cpu=60% -n {namespace}", cluster, show=False)
