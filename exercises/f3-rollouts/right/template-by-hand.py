"""Right, written another way: put release 1.1's pod template back by hand, in one patch.

The template then matches revision 2's, so the Deployment controller scales that ReplicaSet
back up: the history is kept, as with ``kubectl rollout undo``.
"""


def apply(cluster, namespace: str) -> None:
    container = {
        "name": "shop",
        "env": [{"name": "APP_VERSION", "value": "1.1"}],
        "resources": {"requests": {"memory": "128Mi"}},
    }
    patch = {
        "metadata": {"annotations": {"kubernetes.io/change-cause": "release 1.1, by hand"}},
        "spec": {"template": {"spec": {"containers": [container]}}},
    }
    cluster.apps.patch_namespaced_deployment("shop", namespace, patch)
