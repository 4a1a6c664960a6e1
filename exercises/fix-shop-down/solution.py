"""Reference fix, one fault at a time as the checker's rounds reveal them: the ConfigMap's key named
``banner`` again (the file the script reads), the readiness probe on the port the server listens on,
the Service's ``targetPort`` the pods' named port; then the rollout awaited."""

from threeplanes.kit.wait import wait_for_rollout

NAME, CONFIG = "shop", "shop-config"


def apply(cluster, namespace: str) -> None:
    banner = cluster.core.read_namespaced_config_map(CONFIG, namespace).data["banner.txt"]
    cluster.core.replace_namespaced_config_map(
        CONFIG, namespace, {"metadata": {"name": CONFIG, "labels": {"app": NAME}}, "data": {"banner": banner}}
    )
    probe = {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 2, "failureThreshold": 1}
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "web", "readinessProbe": probe}]}}}}
    cluster.apps.patch_namespaced_deployment(NAME, namespace, patch)
    cluster.core.patch_namespaced_service(NAME, namespace, {"spec": {"ports": [{"port": 80, "targetPort": "http"}]}})
    wait_for_rollout(cluster, namespace, NAME, timeout=90)
