"""Wrong: the reference answer with the claim mounted at /data, not where the app keeps its journal."""

from pathlib import Path

import yaml

from threeplanes.barriers.state import kubectl_apply

SOLUTION = Path(__file__).resolve().parents[1] / "solution.yaml"


def apply(cluster, namespace: str) -> None:
    claim, deployment = yaml.safe_load_all(SOLUTION.read_text())
    deployment["spec"]["template"]["spec"]["containers"][0]["volumeMounts"][0]["mountPath"] = "/data"
    kubectl_apply(cluster, namespace, [claim, deployment])
