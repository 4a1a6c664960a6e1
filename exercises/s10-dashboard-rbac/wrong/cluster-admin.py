"""Wrong: the quick way many dashboard guides take, the account bound to the ClusterRole cluster-admin."""

from threeplanes.checking.programs import hand_in

ANSWER = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: dashboard-admin
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: cluster-admin
subjects:
  - kind: ServiceAccount
    name: dashboard
    namespace: dashboard
"""


def apply(cluster, namespace: str) -> None:
    hand_in(cluster, namespace, ANSWER, "dashboard-rbac.yaml")
