"""Reference fix: the ledger copied into ``ledger-archive`` in the team's namespace, then the finalizer of
the switched-off archiving job removed from it, doing that job's part by hand; the namespace
controller then finishes deleting ``<ns>-old``, which is awaited."""

from threeplanes.kit.wait import wait_for_namespace_gone


def apply(cluster, namespace: str) -> None:
    old = f"{namespace}-old"
    ledger = cluster.core.read_namespaced_config_map("ledger", old)
    archive = {"metadata": {"name": "ledger-archive"}, "data": dict(ledger.data)}
    cluster.core.create_namespaced_config_map(namespace, archive)
    cluster.core.patch_namespaced_config_map("ledger", old, {"metadata": {"finalizers": None}})
    wait_for_namespace_gone(cluster, old, timeout=60)
