"""Reference fix: the key the Deployment reads added to the ConfigMap, with the greeting the rewritten
ConfigMap holds under its new name. The kubelet tries again to make the container, finds the key,
and starts it: no change to the Deployment, no new pod."""

from threeplanes.kit.wait import wait_for_rollout

NAME, CONFIG = "storefront", "storefront-config"


def apply(cluster, namespace: str) -> None:
    data = cluster.core.read_namespaced_config_map(CONFIG, namespace).data
    patch = {"data": {"WELCOME_MESSAGE": data["welcome-message"]}}
    cluster.core.patch_namespaced_config_map(CONFIG, namespace, patch)
    wait_for_rollout(cluster, namespace, NAME, timeout=90)
