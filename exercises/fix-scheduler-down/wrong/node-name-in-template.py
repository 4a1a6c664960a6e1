"""A fix that hides the symptom: the Deployment's template names a node (spec.nodeName), so its pods skip the
scheduler and run; the scheduler still exits, and the next pod that does not name a node waits Pending.

From a terminal: kubectl --kubeconfig "$MISSION/kubeconfig" patch deployment web -n shop \
    -p '{"spec": {"template": {"spec": {"nodeName": "worker-b"}}}}'
"""

from __future__ import annotations

from threeplanes.kit.connect import connect


def apply(book, namespace: str) -> None:
    plane = connect(book.core.read_namespaced_config_map("mission", namespace).data["kubeconfig"], timeout=10)
    patch = {"spec": {"template": {"spec": {"nodeName": "worker-b"}}}}
    plane.apps.patch_namespaced_deployment("web", "shop", patch)
