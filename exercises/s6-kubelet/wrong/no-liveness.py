"""Wrong: no liveness probe, so a hung server stays hung: the readiness probe only takes it out of traffic."""

from pathlib import Path

from threeplanes.checking.programs import hand_in, patched

ANSWER = Path(__file__).resolve().parents[1] / "pod.yaml"


def apply(cluster, namespace: str) -> None:
    changes = {
        """      # Restart when it stops answering, but only once it has had time to start.
      livenessProbe:
        httpGet: {path: /healthz, port: 8080}
        initialDelaySeconds: 15
        periodSeconds: 2
        timeoutSeconds: 2
        failureThreshold: 3
""": ""
    }
    hand_in(cluster, namespace, patched(ANSWER, changes), "pod.yaml")
