"""Wrong: the reference answer's Deployment with a hostPath directory of the real node instead of the claim. The
journal survives the pod here, on the book's one real node, but it lies on one machine's disk, outside any
claim: a pod moved to another node would not find it. The directory is named after the namespace,
``/tmp/threeplanes/keep-<namespace>-hostpath``, which the exercise's teardown removes."""

from pathlib import Path

import yaml

from threeplanes.barriers.state import kubectl_apply

SOLUTION = Path(__file__).resolve().parents[1] / "solution.yaml"


def apply(cluster, namespace: str) -> None:
    _, deployment = yaml.safe_load_all(SOLUTION.read_text())
    directory = {"path": f"/tmp/threeplanes/keep-{namespace}-hostpath", "type": "DirectoryOrCreate"}
    deployment["spec"]["template"]["spec"]["volumes"] = [{"name": "data", "hostPath": directory}]
    kubectl_apply(cluster, namespace, [deployment])
