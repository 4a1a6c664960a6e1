"""Reference fix: the Service's selector replaced by the label the catalog's pods carry, ``app: catalog``
(a JSON patch: a strategic merge would add the key beside the wrong one, not replace it)."""

NAME = "catalog"


def apply(cluster, namespace: str) -> None:
    patch = [{"op": "replace", "path": "/spec/selector", "value": {"app": NAME}}]
    cluster.core.patch_namespaced_service(NAME, namespace, patch)
