"""Wrong: scale the broken Deployment to zero. The pending pods go, but so does the service."""

from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    kubectl(f"scale deployment/shop --replicas=0 -n {namespace}", cluster, show=False)
