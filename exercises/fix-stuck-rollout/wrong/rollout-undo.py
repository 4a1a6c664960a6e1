"""Wrong: ``kubectl rollout undo``. The stuck pod goes and v1 serves on, but release v2 never goes live."""

from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    kubectl(f"rollout undo deployment/checkout -n {namespace}", cluster, show=False)
    kubectl(f"rollout status deployment/checkout --timeout=90s -n {namespace}", cluster, show=False, timeout=100)
