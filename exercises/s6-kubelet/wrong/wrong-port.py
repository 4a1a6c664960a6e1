"""Wrong: the readiness probe asks port 80, where nothing listens, so the pod never becomes Ready."""

from pathlib import Path

from threeplanes.checking.programs import hand_in, patched

ANSWER = Path(__file__).resolve().parents[1] / "pod.yaml"


def apply(cluster, namespace: str) -> None:
    changes = {
        """      readinessProbe:
        httpGet: {path: /healthz, port: 8080}""": """      readinessProbe:
        httpGet: {path: /healthz, port: 80}"""
    }
    hand_in(cluster, namespace, patched(ANSWER, changes), "pod.yaml")
