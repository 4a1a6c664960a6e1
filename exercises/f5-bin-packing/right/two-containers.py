"""Right, written another way: two containers of 300m each, so each pod requests 600m."""

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
              cpu: 300m
              memory: 128Mi
        - name: sidecar
          image: registry.k8s.io/e2e-test-images/agnhost:2.63
          args: [pause]
          resources:
            requests: {cpu: 300m, memory: 64Mi}
"""


def apply(cluster, namespace: str) -> None:
    for body in yaml.safe_load_all(MANIFEST.replace("<namespace>", namespace)):
        utils.create_from_dict(cluster.api_client, body, namespace=namespace)
