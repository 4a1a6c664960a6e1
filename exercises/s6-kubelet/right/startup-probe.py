"""Right, another way: a startupProbe holds the liveness probe back until the server first answers, and the
readiness probe only opens a TCP connection."""

from threeplanes.checking.programs import hand_in

ANSWER = """
apiVersion: v1
kind: Pod
metadata:
  name: slow-web
  labels: {app: slow-web}
spec:
  containers:
    - name: web
      image: registry.k8s.io/e2e-test-images/agnhost:2.63
      command: ["sh", "-c", "sleep 8; exec /agnhost netexec --http-port=8080"]
      startupProbe:
        httpGet: {path: /, port: 8080}
        periodSeconds: 1
        failureThreshold: 30
      readinessProbe:
        tcpSocket: {port: 8080}
        periodSeconds: 1
      livenessProbe:
        httpGet: {path: /, port: 8080}
        periodSeconds: 3
        timeoutSeconds: 2
        failureThreshold: 2
"""


def apply(cluster, namespace: str) -> None:
    hand_in(cluster, namespace, ANSWER, "pod.yaml")
