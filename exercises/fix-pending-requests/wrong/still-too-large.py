"""Wrong: the request lowered from a hundred cores to ten, read as "smaller" without a look at what a
node has. Every node has four."""

from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    kubectl(f"set resources deployment/reports --requests=cpu=10 -n {namespace}", cluster, show=False)
