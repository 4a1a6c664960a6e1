"""Written another way: pods started in parallel, a selector with matchExpressions, the port by name."""

from pathlib import Path

import yaml
from kubernetes import utils

ANSWER = Path(__file__).resolve().parents[1] / "statefulset.yaml"


def apply(cluster, namespace: str) -> None:
    service, statefulset = yaml.safe_load_all(ANSWER.read_text())
    cluster.apps.delete_namespaced_deployment("db", namespace)
    statefulset["spec"]["podManagementPolicy"] = "Parallel"
    statefulset["spec"]["selector"] = {"matchExpressions": [{"key": "app", "operator": "In", "values": ["db"]}]}
    service["spec"]["ports"] = [{"name": "sql", "port": 5432, "targetPort": "sql"}]
    container = statefulset["spec"]["template"]["spec"]["containers"][0]
    container["ports"] = [{"name": "sql", "containerPort": 5432}]
    for obj in (service, statefulset):
        utils.create_from_dict(cluster.api_client, obj, namespace=namespace)
