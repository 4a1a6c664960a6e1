"""A solution: roll ``shop`` back to the revision before the broken one (release 1.1)."""

from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    kubectl(f"rollout undo deployment/shop -n {namespace}", cluster, show=False)
