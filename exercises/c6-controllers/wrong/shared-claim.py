"""A typical wrong answer: a StatefulSet whose pods all mount the old claim data, not a template."""

from pathlib import Path

import yaml
from kubernetes import utils

ANSWER = Path(__file__).resolve().parents[1] / "statefulset.yaml"


def apply(cluster, namespace: str) -> None:
    service, statefulset = yaml.safe_load_all(ANSWER.read_text())
    cluster.apps.delete_namespaced_deployment("db", namespace)
    del statefulset["spec"]["volumeClaimTemplates"]
    claim = {"name": "data", "persistentVolumeClaim": {"claimName": "data"}}
    statefulset["spec"]["template"]["spec"]["volumes"] = [claim]
    for obj in (service, statefulset):
        utils.create_from_dict(cluster.api_client, obj, namespace=namespace)
