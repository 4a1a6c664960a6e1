"""Wrong: fix the memory request by hand and keep APP_VERSION=1.2. The pods fit, but it is still release 1.2.

From here a plain ``kubectl rollout undo`` would go back to the broken revision: the hint must name revision 2.
"""

from threeplanes.kit.wait import wait_for_rollout


def apply(cluster, namespace: str) -> None:
    container = {"name": "shop", "resources": {"requests": {"memory": "128Mi"}}}
    patch = {"spec": {"template": {"spec": {"containers": [container]}}}}
    cluster.apps.patch_namespaced_deployment("shop", namespace, patch)
    wait_for_rollout(cluster, namespace, "shop", timeout=60)
