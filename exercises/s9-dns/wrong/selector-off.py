"""Wrong: the headless Service selects app=db, the label kubectl create service would choose, which
no pod carries (the pods carry role=db)."""

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location("s9_dns_solution", Path(__file__).parents[1] / "solution.py")
solution = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(solution)


def apply(cluster, namespace: str) -> None:
    cluster.core.create_namespaced_service(namespace, solution.headless_service(selector={"app": "db"}))
    solution.recreate_db0(cluster, namespace, hostname="primary", subdomain="db")
