"""A fix that hides the symptom: a hostAliases entry for db, so the kubelet writes the Service's ClusterIP into
the pod's /etc/hosts and the name resolves without DNS. The copy goes stale the day the Service is made again,
and every other name still fails."""

from __future__ import annotations


def apply(cluster, namespace: str) -> None:
    address = cluster.core.read_namespaced_service("db", namespace).spec.cluster_ip
    patch = {"spec": {"template": {"spec": {"hostAliases": [{"ip": address, "hostnames": ["db"]}]}}}}
    cluster.apps.patch_namespaced_deployment("app", namespace, patch)
