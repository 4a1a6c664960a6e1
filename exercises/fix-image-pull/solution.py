"""Reference fix: the image of release 3.2 set to the one the team's record names (the ConfigMap
``catalogue-releases``), read from it rather than typed again; then the rollout awaited."""

import yaml

from threeplanes.kit.wait import wait_for_rollout

NAME = "catalogue"


def apply(cluster, namespace: str) -> None:
    record = cluster.core.read_namespaced_config_map("catalogue-releases", namespace).data["3.2"]
    image = yaml.safe_load(record)["image"]
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "web", "image": image}]}}}}
    cluster.apps.patch_namespaced_deployment(NAME, namespace, patch)
    wait_for_rollout(cluster, namespace, NAME, timeout=90)
