"""Reference fix: a startup probe on the same page, given up to 30 s (every second, 30 failures) for
the warm-up; the liveness probe, unchanged, starts only once it has passed. Then the rollout awaited."""

from threeplanes.kit.wait import wait_for_rollout

NAME = "search"


def apply(cluster, namespace: str) -> None:
    startup = {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 1, "failureThreshold": 30}
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "search", "startupProbe": startup}]}}}}
    cluster.apps.patch_namespaced_deployment(NAME, namespace, patch)
    wait_for_rollout(cluster, namespace, NAME, timeout=90)
