"""A fix that hides the symptom: the binding deleted (kubectl delete validatingadmissionpolicybinding
no-privileged-pods). Every pod is admitted again, the privileged ones too."""

from __future__ import annotations

from kubernetes import client

from threeplanes.kit.connect import connect


def apply(book, namespace: str) -> None:
    plane = connect(book.core.read_namespaced_config_map("mission", namespace).data["kubeconfig"], timeout=10)
    client.AdmissionregistrationV1Api(plane.api_client).delete_validating_admission_policy_binding("no-privileged-pods")
