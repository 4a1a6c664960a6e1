"""Right, written another way: the rules for Deployments and events in a ClusterRole (reusable for any namespace
a page may show), granted in shop only by a RoleBinding there; one rule per kind."""

from threeplanes.checking.programs import hand_in

ANSWER = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: dashboard-reads-nodes
rules:
  - apiGroups: [""]
    resources: [nodes]
    verbs: [watch, list, get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: dashboard-reads-workloads
rules:
  - apiGroups: [apps]
    resources: [deployments]
    verbs: [get, list, watch]
  - apiGroups: [""]
    resources: [events]
    verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: dashboard-reads-nodes
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: dashboard-reads-nodes
subjects:
  - kind: ServiceAccount
    name: dashboard
    namespace: dashboard
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: dashboard-reads-workloads
  namespace: shop
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: dashboard-reads-workloads
subjects:
  - kind: ServiceAccount
    name: dashboard
    namespace: dashboard
"""


def apply(cluster, namespace: str) -> None:
    hand_in(cluster, namespace, ANSWER, "dashboard-rbac.yaml")
