"""Wrong: one pod given the label the Service asks for (``kubectl label pod ... app=catalogue``). The
Service now selects that pod alone, and it has left its ReplicaSet, which made another in its place."""

from threeplanes.kit.kubectl import kubectl
from threeplanes.kit.pods import live

NAME = "catalog"


def apply(cluster, namespace: str) -> None:
    pods = live(cluster.core.list_namespaced_pod(namespace, label_selector=f"app={NAME}").items)
    first = sorted(p.metadata.name for p in pods)[0]
    kubectl(f"label pod {first} app=catalogue --overwrite -n {namespace}", cluster, show=False)
