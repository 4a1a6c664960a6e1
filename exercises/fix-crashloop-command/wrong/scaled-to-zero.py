"""Wrong, and it hides the symptom: the Deployment scaled to zero. No pod crashes any more, no restart
count grows, the alerts go quiet, and nothing answers the shop."""

from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    kubectl(f"scale deployment shop-api --replicas=0 -n {namespace}", cluster, show=False)
