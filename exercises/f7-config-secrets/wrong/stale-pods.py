"""A typical wrong answer: the ConfigMap was changed after the pods started, and nobody restarted them.

The solution is applied with LOG_LEVEL=info; once its pods run, LOG_LEVEL is set to debug in the
ConfigMap, at least a second later (timestamps have one-second resolution), with no restart.
"""

import time
from datetime import UTC, datetime
from pathlib import Path

import yaml
from kubernetes import utils

from threeplanes.kit.wait import wait_for_rollout

SOLUTION = Path(__file__).resolve().parents[1] / "solution.yaml"


def apply(cluster, namespace: str) -> None:
    for doc in yaml.safe_load_all(SOLUTION.read_text()):
        if doc["kind"] == "ConfigMap":
            doc["data"]["LOG_LEVEL"] = "info"
        if doc["kind"] == "Deployment":
            cluster.apps.replace_namespaced_deployment("app", namespace, doc)
        else:
            utils.create_from_dict(cluster.api_client, doc, namespace=namespace)
    wait_for_rollout(cluster, namespace, "app", timeout=60)
    started = datetime.now(UTC).replace(microsecond=0)
    while datetime.now(UTC).replace(microsecond=0) <= started:
        time.sleep(0.1)  # test data, not a lab: make the change fall in a later second than the pods' start
    cluster.core.patch_namespaced_config_map("app-config", namespace, {"data": {"LOG_LEVEL": "debug"}})
