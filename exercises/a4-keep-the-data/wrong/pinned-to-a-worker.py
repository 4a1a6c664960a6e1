"""Wrong: the journal in a hostPath directory, the pod pinned to one node (nodeSelector on its host name) so
that it always finds the directory again. That node, worker-1, is simulated by kwok: the pod shows Running
there, but no container runs and nothing is written. The learner deletes the setup's Deployment first, since
kubectl apply would add the new node selector to the old one."""

from pathlib import Path

import yaml

from threeplanes.barriers.state import kubectl_apply
from threeplanes.kit.kubectl import kubectl

SOLUTION = Path(__file__).resolve().parents[1] / "solution.yaml"


def apply(cluster, namespace: str) -> None:
    _, deployment = yaml.safe_load_all(SOLUTION.read_text())
    spec = deployment["spec"]["template"]["spec"]
    spec["nodeSelector"] = {"kubernetes.io/hostname": "worker-1"}
    del spec["tolerations"]
    spec["volumes"] = [{"name": "data", "hostPath": {"path": "/var/lib/notes", "type": "DirectoryOrCreate"}}]
    kubectl(f"delete deployment notes --wait=true -n {namespace}", cluster, show=False, timeout=90)
    kubectl_apply(cluster, namespace, [deployment])
