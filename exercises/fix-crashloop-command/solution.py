"""Reference fix: the subcommand's name corrected in the Deployment's pod template (``net-exec`` is
``netexec``), then the rollout awaited. The ReplicaSet of the new template replaces the crashing pods."""

from threeplanes.kit.wait import wait_for_rollout

NAME = "shop-api"


def apply(cluster, namespace: str) -> None:
    found = cluster.apps.read_namespaced_deployment(NAME, namespace)
    container = found.spec.template.spec.containers[0]
    args = ["netexec" if a == "net-exec" else a for a in container.args]
    patch = {"spec": {"template": {"spec": {"containers": [{"name": container.name, "args": args}]}}}}
    cluster.apps.patch_namespaced_deployment(NAME, namespace, patch)
    wait_for_rollout(cluster, namespace, NAME, timeout=90)
