"""Right, written another way: the limit in a ConfigMap read as the policy's params, the apps resources
narrowed to Deployments by a matchCondition, the namespaces chosen with matchExpressions."""

from threeplanes.checking.programs import hand_in

POLICY = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: team-limits
  namespace: default
data:
  maxReplicas: "5"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata:
  name: team-limits
spec:
  failurePolicy: Fail
  paramKind:
    apiVersion: v1
    kind: ConfigMap
  matchConstraints:
    resourceRules:
    - apiGroups: ["apps"]
      apiVersions: ["*"]
      operations: ["CREATE", "UPDATE"]
      resources: ["*"]
  matchConditions:
  - name: deployments-only
    expression: "request.resource.resource == 'deployments'"
  validations:
  - expression: "object.spec.replicas <= int(params.data.maxReplicas)"
    messageExpression: >-
      'at most ' + params.data.maxReplicas + ' replicas per Deployment here; this one asks for '
      + string(object.spec.replicas)
  - expression: >-
      object.spec.template.spec.containers.all(c,
        has(c.resources.limits) && has(c.resources.limits.memory))
    message: "each container needs a memory limit"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: team-limits
spec:
  policyName: team-limits
  validationActions: [Deny]
  paramRef:
    name: team-limits
    namespace: default
    parameterNotFoundAction: Deny
  matchResources:
    namespaceSelector:
      matchExpressions:
      - {key: team-policy, operator: In, values: [enforced]}
"""


def apply(cluster, namespace: str) -> None:
    hand_in(cluster, namespace, POLICY, "policy.yaml")
