"""Right, written another way: roll back by naming the revision of release 1.1 (revision 2)."""

from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    kubectl(f"rollout undo deployment/shop --to-revision=2 -n {namespace}", cluster, show=False)
