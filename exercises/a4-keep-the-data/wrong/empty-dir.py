"""Wrong: the reference answer's Deployment with an emptyDir at the data path instead of the claim; an emptyDir
is made with its pod and deleted with it."""

from pathlib import Path

import yaml

from threeplanes.barriers.state import kubectl_apply

SOLUTION = Path(__file__).resolve().parents[1] / "solution.yaml"


def apply(cluster, namespace: str) -> None:
    _, deployment = yaml.safe_load_all(SOLUTION.read_text())
    deployment["spec"]["template"]["spec"]["volumes"] = [{"name": "data", "emptyDir": {}}]
    kubectl_apply(cluster, namespace, [deployment])
