"""Setup of the fix-coredns-broken mission: an app on the real node that cannot resolve its database's name.

``db`` is a small web server (busybox ``httpd``, its page ``db: ok``) behind the Service ``db`` (port 80 to
the container's port ``http``, 8080). ``app`` is a busybox container that asks ``http://$DB_HOST/`` every two
seconds and logs what it got; ``DB_HOST`` is ``db``. The break is in app's pod template, and nowhere else (the
cluster's CoreDNS is untouched): ``dnsPolicy: None`` with a ``dnsConfig`` copied from a developer's laptop,
whose only nameserver is ``127.0.0.53`` (systemd-resolved's stub address on the laptop; inside the pod nothing
listens there), with the namespace's search list and ``ndots: 2``. So every lookup from app fails at once
(``bad address 'db'``), while the Service's IP answers. Running the setup again starts the mission over.
"""

from __future__ import annotations

from threeplanes.checking.missions import mission_deployment, mission_service, start_over, wait_for_app_pods
from threeplanes.kit.wait import is_ready
from threeplanes.versions import pinned

APP, DB = "app", "db"
PORT = 8080
PAGE = "db: ok"
LAPTOP_RESOLVER = "127.0.0.53"


def db_deployment() -> dict:
    script = f"mkdir -p /www && echo '{PAGE}' > /www/index.html && exec httpd -f -p {PORT} -h /www"
    container = {
        "name": DB,
        "image": pinned().images["busybox"],
        "command": ["sh", "-c", script],
        "ports": [{"name": "http", "containerPort": PORT}],
        "readinessProbe": {"tcpSocket": {"port": "http"}, "periodSeconds": 1},
    }
    return mission_deployment(DB, container)


def app_deployment(namespace: str) -> dict:
    loop = (
        'while true; do a="$(timeout 3 wget -qO- "http://$DB_HOST/" 2>&1)"; '
        'echo "$(date -u +%H:%M:%S) GET http://$DB_HOST/: $a"; sleep 2; done'
    )
    container = {
        "name": APP,
        "image": pinned().images["busybox"],
        "command": ["sh", "-c", loop],
        "env": [{"name": "DB_HOST", "value": DB}],
    }
    deployment = mission_deployment(APP, container)
    spec = deployment["spec"]["template"]["spec"]
    spec["dnsPolicy"] = "None"
    spec["dnsConfig"] = {
        "nameservers": [LAPTOP_RESOLVER],
        "searches": [f"{namespace}.svc.cluster.local", "svc.cluster.local", "cluster.local"],
        "options": [{"name": "ndots", "value": "2"}],
    }
    return deployment


def apply(cluster, namespace: str) -> None:
    start_over(cluster, namespace, deployments=(APP, DB), services=(DB,))
    cluster.apps.create_namespaced_deployment(namespace, db_deployment())
    cluster.core.create_namespaced_service(namespace, mission_service(DB))
    cluster.apps.create_namespaced_deployment(namespace, app_deployment(namespace))
    for name in (DB, APP):
        wait_for_app_pods(
            cluster,
            namespace,
            name,
            lambda pods: len(pods) == 1 and all(is_ready(p) for p in pods),
            what=f"the pod of {name} Ready",
            timeout=90,
        )
