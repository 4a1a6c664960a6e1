"""Right, written another way: matchExpressions selectors, a node affinity, Exists tolerations, maxUnavailable."""

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
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
              - matchExpressions:
                  - {key: threeplanes.io/pool, operator: In, values: [<namespace>]}
      tolerations:
        - {key: threeplanes.io/pool, operator: Exists}
        - {operator: Exists, effect: NoExecute, tolerationSeconds: 8}   # every NoExecute taint
      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: kubernetes.io/hostname
          whenUnsatisfiable: DoNotSchedule
          nodeTaintsPolicy: Honor    # a lost node, tainted, no longer counts
          labelSelector:             # the pods counted: this Deployment's
            matchExpressions: [{key: app, operator: In, values: [resilient]}]
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
  maxUnavailable: 1
  selector:
    matchExpressions: [{key: app, operator: Exists}]
"""


def apply(cluster, namespace: str) -> None:
    for body in yaml.safe_load_all(MANIFEST.replace("<namespace>", namespace)):
        utils.create_from_dict(cluster.api_client, body, namespace=namespace)
