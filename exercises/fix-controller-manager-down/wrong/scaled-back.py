"""A fix that hides the symptom: the Deployment scaled back to the 2 pods it has (kubectl scale deployment web
-n shop --replicas=2). The numbers agree; the shop still needs 5, and nothing would follow any change."""

from __future__ import annotations

from threeplanes.kit.connect import connect


def apply(book, namespace: str) -> None:
    plane = connect(book.core.read_namespaced_config_map("mission", namespace).data["kubeconfig"], timeout=10)
    plane.apps.patch_namespaced_deployment_scale("web", "shop", {"spec": {"replicas": 2}})
