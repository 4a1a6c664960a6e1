"""Wrong: one ClusterRole for the three kinds, bound by a ClusterRoleBinding: the page's token reads the
Deployments and events of every namespace, not only shop's."""

from threeplanes.checking.programs import hand_in

ANSWER = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: dashboard
rules:
  - apiGroups: [""]
    resources: [nodes, events]
    verbs: [get, list, watch]
  - apiGroups: [apps]
    resources: [deployments]
    verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: dashboard
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: dashboard
subjects:
  - kind: ServiceAccount
    name: dashboard
    namespace: dashboard
"""


def apply(cluster, namespace: str) -> None:
    hand_in(cluster, namespace, ANSWER, "dashboard-rbac.yaml")
