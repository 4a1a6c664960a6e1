"""Solution of s9-dns: a headless Service ``db`` over the pods labelled role=db, and db-0 made again
with ``hostname: primary`` and ``subdomain: db`` (a pod's hostname and subdomain cannot be changed).

The functions are shared with the wrong answers and the right one written another way.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location("s9_dns_setup", Path(__file__).with_name("setup.py"))
setup = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(setup)


def headless_service(name: str = "db", selector: dict | None = None, **spec: object) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {
            "clusterIP": "None",
            "selector": selector or {"role": "db"},
            "ports": [{"name": "db", "port": setup.PORT, "targetPort": "db"}],
            **spec,
        },
    }


def recreate_db0(cluster, namespace: str, **naming: str) -> None:
    """Delete db-0 and create it again as the setup did, with ``naming`` (hostname, subdomain) added."""
    setup.delete_pod(cluster, namespace, "db-0")
    cluster.core.create_namespaced_pod(namespace, setup.db_pod("db-0", **naming))


def apply(cluster, namespace: str) -> None:
    cluster.core.create_namespaced_service(namespace, headless_service())
    recreate_db0(cluster, namespace, hostname="primary", subdomain="db")
