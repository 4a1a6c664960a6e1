"""Right, written another way: one validation for both rules, a variable listing the containers
without a memory limit, and a messageExpression that says which rule the Deployment breaks."""

from threeplanes.checking.programs import hand_in

POLICY = """\
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: replicas-and-memory
spec:
  matchConstraints:
    resourceRules:
    - apiGroups: ["apps"]
      apiVersions: ["v1"]
      operations: ["CREATE", "UPDATE"]
      resources: ["deployments"]
    namespaceSelector:
      matchLabels: {team-policy: enforced}
  variables:
  - name: unlimited
    expression: >-
      object.spec.template.spec.containers
        .filter(c, !has(c.resources.limits) || !('memory' in c.resources.limits))
        .map(c, c.name)
  validations:
  - expression: "object.spec.replicas <= 5 && size(variables.unlimited) == 0"
    messageExpression: >-
      object.spec.replicas > 5
        ? 'at most 5 replicas, not ' + string(object.spec.replicas)
        : 'no memory limit on the containers ' + variables.unlimited.join(', ')
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: replicas-and-memory
spec:
  policyName: replicas-and-memory
  validationActions: [Deny]
"""


def apply(cluster, namespace: str) -> None:
    hand_in(cluster, namespace, POLICY, "policy.yaml")
