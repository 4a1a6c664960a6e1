"""Wrong: the limit raised to exactly the 96 MiB the worker allocates, forgetting the program itself.
The kernel still kills it."""

NAME = "thumbnailer"


def apply(cluster, namespace: str) -> None:
    resources = {"requests": {"memory": "96Mi"}, "limits": {"memory": "96Mi"}}
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "worker", "resources": resources}]}}}}
    cluster.apps.patch_namespaced_deployment(NAME, namespace, patch)
