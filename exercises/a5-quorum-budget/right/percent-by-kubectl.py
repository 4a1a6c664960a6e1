"""Right, written another way: kubectl create pdb, with a percentage (60 % of 3 is 1.8, rounded up to 2)."""

from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    kubectl(f"create pdb etcd --selector=app=etcd --min-available=60% -n {namespace}", cluster, show=False)
