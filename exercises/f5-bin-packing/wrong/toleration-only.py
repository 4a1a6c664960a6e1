"""Wrong: a toleration and no selector: the pods may also land on the shared workers."""

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
      tolerations:
        - {key: threeplanes.io/pool, operator: Exists}
      containers:
        - name: web
          image: registry.k8s.io/e2e-test-images/agnhost:2.63
          args: [netexec]
          resources:
            requests:
              cpu: 600m      # 3 x 600m = 1800m fits in 2000m; 4 x 600m = 2400m does not
              memory: 128Mi
"""


def apply(cluster, namespace: str) -> None:
    for body in yaml.safe_load_all(MANIFEST.replace("<namespace>", namespace)):
        utils.create_from_dict(cluster.api_client, body, namespace=namespace)
