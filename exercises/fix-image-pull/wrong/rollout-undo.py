"""Wrong, and it hides the symptom: ``kubectl rollout undo``. The pod that cannot start goes, the
Deployment is healthy again, and release 3.1 serves on: 3.2 never ships."""

from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    kubectl(f"rollout undo deployment/catalogue -n {namespace}", cluster, show=False)
    kubectl(f"rollout status deployment/catalogue --timeout=90s -n {namespace}", cluster, show=False, timeout=100)
