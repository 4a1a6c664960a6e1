"""Written another way: claims deleted with the StatefulSet (retention policy), two labels on the pods."""

from pathlib import Path

import yaml
from kubernetes import utils

ANSWER = Path(__file__).resolve().parents[1] / "statefulset.yaml"


def apply(cluster, namespace: str) -> None:
    service, statefulset = yaml.safe_load_all(ANSWER.read_text())
    cluster.apps.delete_namespaced_deployment("db", namespace)
    statefulset["spec"]["persistentVolumeClaimRetentionPolicy"] = {"whenDeleted": "Delete", "whenScaled": "Retain"}
    statefulset["spec"]["template"]["metadata"]["labels"]["tier"] = "storage"
    for obj in (service, statefulset):
        utils.create_from_dict(cluster.api_client, obj, namespace=namespace)
