"""Wrong, and it hides the symptom: the ResourceQuota deleted. The new pool starts, and the namespace
may now take as much of the cluster as it asks for."""

from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    n = f"-n {namespace}"
    kubectl(f"delete resourcequota team-share {n}", cluster, show=False)
    kubectl(f"rollout status deployment/workers-v2 --timeout=90s {n}", cluster, show=False, timeout=100)
