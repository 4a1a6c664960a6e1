"""Right, written another way: ``kubectl set image`` with the image the release record names."""

from threeplanes.kit.kubectl import kubectl
from threeplanes.versions import pinned


def apply(cluster, namespace: str) -> None:
    n = f"-n {namespace}"
    kubectl(f"set image deployment/catalogue web={pinned().images['web']} {n}", cluster, show=False)
    kubectl(f"rollout status deployment/catalogue --timeout=90s {n}", cluster, show=False, timeout=100)
