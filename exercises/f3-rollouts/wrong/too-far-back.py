"""Wrong: roll back to revision 1 (release 1.0) instead of the last good release, 1.1."""

from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    kubectl(f"rollout undo deployment/shop --to-revision=1 -n {namespace}", cluster, show=False)
