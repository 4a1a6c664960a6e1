"""Wrong: no readiness probe, so the pod is Ready, and in the Service, as soon as its container starts."""

from pathlib import Path

from threeplanes.checking.programs import hand_in, patched

ANSWER = Path(__file__).resolve().parents[1] / "pod.yaml"


def apply(cluster, namespace: str) -> None:
    changes = {
        """      readinessProbe:
        httpGet: {path: /healthz, port: 8080}
        periodSeconds: 2
""": ""
    }
    hand_in(cluster, namespace, patched(ANSWER, changes), "pod.yaml")
