"""Right, written another way: ``kubectl set resources``, a limit of 160 MiB over a request of 128 MiB."""

from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    n = f"-n {namespace}"
    kubectl(
        f"set resources deployment/thumbnailer --limits=memory=160Mi --requests=memory=128Mi {n}", cluster, show=False
    )
    kubectl(f"rollout status deployment/thumbnailer --timeout=90s {n}", cluster, show=False, timeout=100)
