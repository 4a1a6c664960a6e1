"""Right, written another way: the four objects made by kubectl's imperative commands, printed as YAML
(--dry-run=client -o yaml: nothing is created) and handed in as one file, as a reader would script it."""

from threeplanes.checking.programs import hand_in
from threeplanes.kit.kubectl import kubectl

COMMANDS = (
    "create clusterrole dashboard-nodes --verb=get,list,watch --resource=nodes",
    "create clusterrolebinding dashboard-nodes --clusterrole=dashboard-nodes --serviceaccount=dashboard:dashboard",
    "create role dashboard -n shop --verb=get,list,watch --resource=deployments.apps,events",
    "create rolebinding dashboard -n shop --role=dashboard --serviceaccount=dashboard:dashboard",
)


def apply(cluster, namespace: str) -> None:
    printed = [kubectl(f"{command} --dry-run=client -o yaml", cluster, show=False) for command in COMMANDS]
    hand_in(cluster, namespace, "---\n".join(printed), "dashboard-rbac.yaml")
