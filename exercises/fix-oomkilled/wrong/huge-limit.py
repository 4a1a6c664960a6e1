"""Wrong, and it hides the symptom: the limit raised to 4 GiB "to be safe". The kills stop; a leak would
now grow for a long time before anything notices."""

from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    n = f"-n {namespace}"
    kubectl(f"set resources deployment/thumbnailer --limits=memory=4Gi {n}", cluster, show=False)
    kubectl(f"rollout status deployment/thumbnailer --timeout=90s {n}", cluster, show=False, timeout=100)
