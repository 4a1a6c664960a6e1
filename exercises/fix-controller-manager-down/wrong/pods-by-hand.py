"""A fix that hides the symptom: three pods made by hand from the Deployment's template, with its labels. web
shows 5 pods; no controller owns the three, and the controller manager still exits."""

from __future__ import annotations

from threeplanes.kit.connect import connect


def apply(book, namespace: str) -> None:
    plane = connect(book.core.read_namespaced_config_map("mission", namespace).data["kubeconfig"], timeout=10)
    template = plane.apps.read_namespaced_deployment("web", "shop").spec.template
    for index in range(3):
        body = {
            "metadata": {"name": f"web-by-hand-{index}", "labels": dict(template.metadata.labels)},
            "spec": plane.api_client.sanitize_for_serialization(template.spec),
        }
        plane.core.create_namespaced_pod("shop", body)
