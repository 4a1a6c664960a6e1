"""Wrong: the headless Service is right, but db-0 was only labelled and annotated, not made again with
hostname and subdomain (they cannot be patched onto a pod that exists)."""

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location("s9_dns_solution", Path(__file__).parents[1] / "solution.py")
solution = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(solution)


def apply(cluster, namespace: str) -> None:
    cluster.core.create_namespaced_service(namespace, solution.headless_service())
    cluster.core.patch_namespaced_pod("db-0", namespace, {"metadata": {"labels": {"hostname": "primary"}}})
