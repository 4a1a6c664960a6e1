"""Wrong: the new pool scaled down to one replica, as if a smaller pool would fit. One pod of 100m does
not fit beside the retired pool's 900m either, and the pool needs two."""

from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    kubectl(f"scale deployment workers-v2 --replicas=1 -n {namespace}", cluster, show=False)
