"""Half a fix: the expression asks whether securityContext is set, and not whether privileged is. A pod with no
securityContext passes; one whose securityContext sets only runAsNonRoot is still refused (no such key)."""

from __future__ import annotations

from kubernetes import client

from threeplanes.kit.connect import connect

EXPRESSION = """\
object.spec.containers.all(c, !has(c.securityContext) || c.securityContext.privileged == false) &&
(!has(object.spec.initContainers) ||
 object.spec.initContainers.all(c, !has(c.securityContext) || c.securityContext.privileged == false))"""


def apply(book, namespace: str) -> None:
    plane = connect(book.core.read_namespaced_config_map("mission", namespace).data["kubeconfig"], timeout=10)
    admission = client.AdmissionregistrationV1Api(plane.api_client)
    patch = [{"op": "replace", "path": "/spec/validations/0/expression", "value": EXPRESSION}]
    admission.patch_validating_admission_policy("no-privileged-pods", patch)
