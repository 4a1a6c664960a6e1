"""Wrong: the spread constraint's labelSelector has a typo, so it counts no pod and constrains nothing."""

import yaml
from kubernetes import utils

MANIFEST = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: resilient
spec:
  replicas: 3
  selector:
    matchLabels: {app: resilient}
  template:
    metadata:
      labels: {app: resilient}
    spec:
      nodeSelector:                       # the label of your nodes
        threeplanes.io/pool: <namespace>
      tolerations:
        - {key: threeplanes.io/pool, operator: Equal, value: <namespace>, effect: NoSchedule}
        # leave a node that stops answering after 10 s instead of the default 300 s
        - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 10}
        - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 10}
      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: kubernetes.io/hostname
          whenUnsatisfiable: DoNotSchedule
          nodeTaintsPolicy: Honor    # a lost node, tainted, no longer counts
          labelSelector:             # the pods counted: this Deployment's
            matchLabels: {app: resiliant}  # the typo is the wrong answer
      containers:
        - name: web
          image: registry.k8s.io/e2e-test-images/agnhost:2.63
          args: [netexec]
          resources:
            requests: {cpu: 100m, memory: 64Mi}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: resilient
spec:
  minAvailable: 2
  selector:
    matchLabels: {app: resilient}
"""


def apply(cluster, namespace: str) -> None:
    for body in yaml.safe_load_all(MANIFEST.replace("<namespace>", namespace)):
        utils.create_from_dict(cluster.api_client, body, namespace=namespace)
