"""Wrong: publishNotReadyAddresses on the headless Service, so the unready db-2 is answered too."""

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location("s9_dns_solution", Path(__file__).parents[1] / "solution.py")
solution = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(solution)


def apply(cluster, namespace: str) -> None:
    cluster.core.create_namespaced_service(namespace, solution.headless_service(publishNotReadyAddresses=True))
    solution.recreate_db0(cluster, namespace, hostname="primary", subdomain="db")
