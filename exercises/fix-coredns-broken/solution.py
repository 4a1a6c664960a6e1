"""The reference fix of fix-coredns-broken: app's pods ask the cluster's DNS, the Service kube-dns in kube-system
(the address the kubelet gives every ClusterFirst pod, its clusterDNS), instead of the laptop's stub resolver;
the team's search list and ndots stay.

From a terminal:

    kubectl get service kube-dns -n kube-system -o jsonpath='{.spec.clusterIP}'     # 10.0.0.10
    kubectl patch deployment app -n my-mission --type=json \\
      -p '[{"op": "replace", "path": "/spec/template/spec/dnsConfig/nameservers", "value": ["10.0.0.10"]}]'
"""

from __future__ import annotations


def apply(cluster, namespace: str) -> None:
    dns = cluster.core.read_namespaced_service("kube-dns", "kube-system").spec.cluster_ip
    patch = [{"op": "replace", "path": "/spec/template/spec/dnsConfig/nameservers", "value": [dns]}]
    cluster.apps.patch_namespaced_deployment("app", namespace, patch)
