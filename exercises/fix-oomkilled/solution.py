"""Reference fix: the memory limit (and the request with it) raised to 192 MiB, twice the 96 MiB the
worker allocates, which leaves room for the program itself and for a larger image; then the rollout
awaited."""

from threeplanes.kit.wait import wait_for_rollout

NAME = "thumbnailer"


def apply(cluster, namespace: str) -> None:
    resources = {"requests": {"memory": "192Mi"}, "limits": {"memory": "192Mi"}}
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "worker", "resources": resources}]}}}}
    cluster.apps.patch_namespaced_deployment(NAME, namespace, patch)
    wait_for_rollout(cluster, namespace, NAME, timeout=90)
