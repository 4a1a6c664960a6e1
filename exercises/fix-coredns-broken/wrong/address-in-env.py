"""A fix that hides the symptom: DB_HOST set to the Service's ClusterIP, so the app no longer needs a name. It
works until the Service is made again (a new address), and every lookup of the pod still fails.

From a terminal:
    kubectl set env deployment/app -n my-mission DB_HOST=$(kubectl get service db -n my-mission \
      -o jsonpath='{.spec.clusterIP}')
"""

from __future__ import annotations

from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    address = cluster.core.read_namespaced_service("db", namespace).spec.cluster_ip
    kubectl(f"set env deployment/app -n {namespace} DB_HOST={address}", cluster, show=False)
