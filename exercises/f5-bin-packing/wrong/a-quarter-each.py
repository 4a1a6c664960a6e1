"""Wrong: 500m each; four fit on a node, so a seventh replica would still find room."""

import yaml
from kubernetes import utils

MANIFEST = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: packed
spec:
  replicas: 6
  selector:
    matchLabels: {app: packed}
  template:
    metadata:
      labels: {app: packed}
    spec:
      nodeSelector:                       # the label of your nodes
        threeplanes.io/pool: <namespace>
      tolerations:                        # and their taint
        - {key: threeplanes.io/pool, operator: Equal, value: <namespace>, effect: NoSchedule}
      containers:
        - name: web
          image: registry.k8s.io/e2e-test-images/agnhost:2.63
          args: [netexec]
          resources:
            requests:
              cpu: 500m
              memory: 128Mi
"""


def apply(cluster, namespace: str) -> None:
    for body in yaml.safe_load_all(MANIFEST.replace("<namespace>", namespace)):
        utils.create_from_dict(cluster.api_client, body, namespace=namespace)
