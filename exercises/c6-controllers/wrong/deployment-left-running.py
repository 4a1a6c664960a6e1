"""A typical wrong answer: the StatefulSet is right, but the old Deployment still runs on the shared claim."""

from pathlib import Path

import yaml
from kubernetes import utils

ANSWER = Path(__file__).resolve().parents[1] / "statefulset.yaml"


def apply(cluster, namespace: str) -> None:
    service, statefulset = yaml.safe_load_all(ANSWER.read_text())
    statefulset["spec"]["template"]["metadata"]["labels"] = {"app": "db", "run": "statefulset"}
    statefulset["spec"]["selector"]["matchLabels"] = {"app": "db", "run": "statefulset"}
    for obj in (service, statefulset):
        utils.create_from_dict(cluster.api_client, obj, namespace=namespace)
