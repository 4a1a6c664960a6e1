"""Wrong: ``kubectl rollout restart``, as if a fresh pod would find what the first did not. It reads the
same ConfigMap through the same template."""

from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    kubectl(f"rollout restart deployment/storefront -n {namespace}", cluster, show=False)
