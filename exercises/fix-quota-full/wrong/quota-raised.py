"""Wrong, and it hides the symptom: the quota raised to 10 CPU, ten times the namespace's share, "so that
it never happens again". The new pool starts; the retired one keeps its 900m."""

from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    n = f"-n {namespace}"
    patch = '{"spec": {"hard": {"requests.cpu": "10"}}}'
    kubectl(f"patch resourcequota team-share --type=merge -p '{patch}' {n}", cluster, show=False)
    kubectl(f"rollout status deployment/workers-v2 --timeout=90s {n}", cluster, show=False, timeout=100)
