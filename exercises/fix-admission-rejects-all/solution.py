"""The reference fix of fix-admission-rejects-all: the policy's expression asks whether securityContext and its
privileged field are set before it reads them; a container without them is not privileged.

From a terminal, with KUBECONFIG set to the mission's as the page says: kubectl edit validatingadmissionpolicy
no-privileged-pods, and replace the expression with EXPRESSION below.
"""

from __future__ import annotations

from kubernetes import client

from threeplanes.kit.connect import connect

EXPRESSION = """\
object.spec.containers.all(c,
  !has(c.securityContext) || !has(c.securityContext.privileged) || !c.securityContext.privileged) &&
(!has(object.spec.initContainers) ||
 object.spec.initContainers.all(c,
   !has(c.securityContext) || !has(c.securityContext.privileged) || !c.securityContext.privileged))"""


def apply(book, namespace: str) -> None:
    """For the book's tests: the reader's edit, made on the mission's plane the ConfigMap ``mission`` names."""
    plane = connect(book.core.read_namespaced_config_map("mission", namespace).data["kubeconfig"], timeout=10)
    admission = client.AdmissionregistrationV1Api(plane.api_client)
    patch = [{"op": "replace", "path": "/spec/validations/0/expression", "value": EXPRESSION}]
    admission.patch_validating_admission_policy("no-privileged-pods", patch)
