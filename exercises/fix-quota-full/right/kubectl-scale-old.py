"""Right, written another way: the retired pool scaled to zero with kubectl (kept, for its history), and
the new pool's rollout awaited."""

from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    n = f"-n {namespace}"
    kubectl(f"scale deployment workers-v1 --replicas=0 {n}", cluster, show=False)
    kubectl(f"rollout status deployment/workers-v2 --timeout=90s {n}", cluster, show=False, timeout=100)
