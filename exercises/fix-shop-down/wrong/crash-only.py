"""Wrong, the first fault only: the ConfigMap's key renamed back to ``banner`` and the pods restarted.
They run now, but the readiness probe still asks a port where nothing listens: never Ready."""

from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    n = f"-n {namespace}"
    banner = kubectl(f"get configmap shop-config -o jsonpath={{.data.banner\\.txt}} {n}", cluster, show=False)
    cluster.core.patch_namespaced_config_map("shop-config", namespace, {"data": {"banner": banner, "banner.txt": None}})
    kubectl(f"rollout restart deployment/shop {n}", cluster, show=False)
