"""Wrong: the HPA is right, but api's pods request no CPU, so their utilization cannot be computed."""

from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    kubectl(f"autoscale deployment api --min=2 --max=5 --cpu=60% -n {namespace}", cluster, show=False)
