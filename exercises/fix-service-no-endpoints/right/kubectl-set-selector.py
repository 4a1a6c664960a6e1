"""Right, written another way: ``kubectl set selector``, which replaces the whole selector, with both
labels only the catalog's pods carry together."""

from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    kubectl(f"set selector service catalog app=catalog,tier=backend -n {namespace}", cluster, show=False)
