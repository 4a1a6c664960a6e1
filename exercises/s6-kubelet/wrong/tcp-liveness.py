"""Wrong: a TCP liveness probe. The kernel completes the connection for a process that no longer answers, so
the probe passes while the server hangs."""

from pathlib import Path

from threeplanes.checking.programs import hand_in, patched

ANSWER = Path(__file__).resolve().parents[1] / "pod.yaml"


def apply(cluster, namespace: str) -> None:
    changes = {
        """      livenessProbe:
        httpGet: {path: /healthz, port: 8080}""": """      livenessProbe:
        tcpSocket: {port: 8080}"""
    }
    hand_in(cluster, namespace, patched(ANSWER, changes), "pod.yaml")
