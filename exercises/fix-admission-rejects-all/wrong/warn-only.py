"""A fix that hides the symptom: the binding's validationActions changed from Deny to Warn. The broken expression
now only prints a warning, and a privileged pod is admitted with one."""

from __future__ import annotations

from kubernetes import client

from threeplanes.kit.connect import connect


def apply(book, namespace: str) -> None:
    plane = connect(book.core.read_namespaced_config_map("mission", namespace).data["kubeconfig"], timeout=10)
    admission = client.AdmissionregistrationV1Api(plane.api_client)
    admission.patch_validating_admission_policy_binding("no-privileged-pods", {"spec": {"validationActions": ["Warn"]}})
