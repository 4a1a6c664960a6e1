"""Right, another way: the skeleton `kubectl run slow-web --image=... --dry-run=client -o yaml -- sh -c ...`
prints, edited by hand: its empty fields left in, a named port, an exec readiness probe."""

from threeplanes.checking.programs import hand_in

ANSWER = """
apiVersion: v1
kind: Pod
metadata:
  creationTimestamp: null
  labels:
    run: slow-web
  name: slow-web
spec:
  containers:
  - command:
    - sh
    - -c
    - sleep 8; exec /agnhost netexec --http-port=8080
    image: registry.k8s.io/e2e-test-images/agnhost:2.63
    name: web
    ports:
    - containerPort: 8080
      name: http
    readinessProbe:
      exec:
        command: ["/agnhost", "connect", "127.0.0.1:8080", "--timeout=1s"]
      periodSeconds: 2
    livenessProbe:
      httpGet:
        path: /hostname
        port: http
      initialDelaySeconds: 12
      periodSeconds: 3
      failureThreshold: 2
    resources: {}
  dnsPolicy: ClusterFirst
  restartPolicy: Always
status: {}
"""


def apply(cluster, namespace: str) -> None:
    hand_in(cluster, namespace, ANSWER, "pod.yaml")
