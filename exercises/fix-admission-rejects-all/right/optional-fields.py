"""A right fix written another way: CEL's optional fields (?.), each absent field taken as not privileged,
applied with a JSON patch (kubectl patch validatingadmissionpolicy no-privileged-pods --type=json -p ...)."""

from __future__ import annotations

from kubernetes import client

from threeplanes.kit.connect import connect

EXPRESSION = (
    "object.spec.containers.all(c, !c.?securityContext.?privileged.orValue(false)) && "
    "object.spec.?initContainers.orValue([]).all(c, !c.?securityContext.?privileged.orValue(false))"
)


def apply(book, namespace: str) -> None:
    plane = connect(book.core.read_namespaced_config_map("mission", namespace).data["kubeconfig"], timeout=10)
    admission = client.AdmissionregistrationV1Api(plane.api_client)
    patch = [{"op": "replace", "path": "/spec/validations/0/expression", "value": EXPRESSION}]
    admission.patch_validating_admission_policy("no-privileged-pods", patch)
