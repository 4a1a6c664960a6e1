"""A right fix written another way: app's pods go back to the policy every pod has unless it says otherwise,
ClusterFirst, and the copied dnsConfig goes: the kubelet writes the cluster's DNS and the namespace's search
list into their /etc/resolv.conf itself."""

from __future__ import annotations

import json

from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    patch = [
        {"op": "replace", "path": "/spec/template/spec/dnsPolicy", "value": "ClusterFirst"},
        {"op": "remove", "path": "/spec/template/spec/dnsConfig"},
    ]
    kubectl(f"patch deployment app -n {namespace} --type=json -p '{json.dumps(patch)}'", cluster, show=False)
