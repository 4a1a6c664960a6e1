"""Wrong: requests are set, but the HPA scales on memory instead of CPU."""

from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    kubectl(f"set resources deployment api --requests=cpu=100m,memory=64Mi -n {namespace}", cluster, show=False)
    kubectl(f"autoscale deployment api --min=2 --max=5 --memory=60% -n {namespace}", cluster, show=False)
