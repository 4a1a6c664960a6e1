"""Wrong: an ordinary Service with a cluster IP: its name answers one virtual address, not the pods,
and a pod gets no name of its own under it."""

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location("s9_dns_solution", Path(__file__).parents[1] / "solution.py")
solution = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(solution)


def apply(cluster, namespace: str) -> None:
    body = solution.headless_service()
    del body["spec"]["clusterIP"]
    cluster.core.create_namespaced_service(namespace, body)
    solution.recreate_db0(cluster, namespace, hostname="primary", subdomain="db")
