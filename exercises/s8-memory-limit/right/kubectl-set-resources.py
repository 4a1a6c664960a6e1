"""Right, written another way: kubectl set resources, a limit alone (the request then defaults to it)."""

from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    n = f"-n {namespace}"
    kubectl(f"set resources deployment/cruncher --limits=memory=200Mi {n}", cluster, show=False)
    kubectl(f"rollout status deployment/cruncher --timeout=90s {n}", cluster, show=False, timeout=100)
