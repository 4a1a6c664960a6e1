"""Reference fix: the readiness probe's path put back to the page the application serves once it is
warm, ``/healthz``; then the rollout awaited."""

from threeplanes.kit.wait import wait_for_rollout

NAME = "checkout"


def apply(cluster, namespace: str) -> None:
    path = "/spec/template/spec/containers/0/readinessProbe/httpGet/path"
    cluster.apps.patch_namespaced_deployment(NAME, namespace, [{"op": "replace", "path": path, "value": "/healthz"}])
    wait_for_rollout(cluster, namespace, NAME, timeout=90)
