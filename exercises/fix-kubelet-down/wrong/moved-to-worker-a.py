"""A fix that hides the symptom: web's pod moved off the new node, to worker-a, where the scheduler places it and
the node's agent reports it Running. The new node is still down: its kubelet exits at every start, and every pod
meant for it waits.

From a terminal: kubectl --kubeconfig "$MISSION/kubeconfig" patch deployment web -n shop --type=json -p \
    '[{"op": "replace", "path": "/spec/template/spec/nodeSelector",
       "value": {"kubernetes.io/hostname": "worker-a"}}]'
"""

from __future__ import annotations

import json

from threeplanes.kit.connect import connect
from threeplanes.kit.kubectl import kubectl


def apply(book, namespace: str) -> None:
    plane = connect(book.core.read_namespaced_config_map("mission", namespace).data["kubeconfig"], timeout=10)
    patch = [
        {"op": "replace", "path": "/spec/template/spec/nodeSelector", "value": {"kubernetes.io/hostname": "worker-a"}}
    ]
    kubectl(f"patch deployment web -n shop --type=json -p '{json.dumps(patch)}'", plane, show=False)
