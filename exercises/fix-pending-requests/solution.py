"""Reference fix: the CPU request written as its author meant it, a tenth of a core (``100m``); then
the rollout awaited."""

from threeplanes.kit.wait import wait_for_rollout

NAME = "reports"


def apply(cluster, namespace: str) -> None:
    resources = {"requests": {"cpu": "100m", "memory": "64Mi"}}
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "renderer", "resources": resources}]}}}}
    cluster.apps.patch_namespaced_deployment(NAME, namespace, patch)
    wait_for_rollout(cluster, namespace, NAME, timeout=90)
