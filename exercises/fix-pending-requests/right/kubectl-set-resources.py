"""Right, written another way: ``kubectl set resources``, a quarter of a core in millicores."""

from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    n = f"-n {namespace}"
    kubectl(f"set resources deployment/reports --requests=cpu=250m {n}", cluster, show=False)
    kubectl(f"rollout status deployment/reports --timeout=90s {n}", cluster, show=False, timeout=100)
