"""Setup of the fix-liveness-slow-start mission: a search service the kubelet kills before it is up.

``search`` is a shell script on the real node standing in for a search engine: it loads its index
for ``WARMUP`` seconds, then busybox's ``httpd`` serves ``search ok`` on ``/`` and ``ok`` on
``/healthz`` on port 8080 (the shell stays the container's first process, httpd its child). Its
liveness probe asks ``/healthz`` every 2 s and gives up after two failures, from the container's
start: the kubelet kills the container about 4 s into its warm-up, every time, and restarts it
with a growing back-off (``CrashLoopBackOff``). The setup waits for the first such kill.
``search-client`` is the pod the checker sends its requests from. Running the setup again starts
the mission over.
"""

from __future__ import annotations

from typing import Any

from threeplanes.checking import missions
from threeplanes.checking.missions import idle_client_pod
from threeplanes.versions import pinned

NAME, CLIENT = "search", "search-client"
PORT = 8080
WARMUP = 8
SCRIPT = (
    'echo "search: loading the index"; '
    f"sleep {WARMUP}; "
    'mkdir -p /tmp/www; echo "search ok" > /tmp/www/index.html; echo ok > /tmp/www/healthz; '
    f'echo "search: index loaded, serving on port {PORT}"; '
    f"httpd -f -p {PORT} -h /tmp/www & wait"
)
LIVENESS = {
    "httpGet": {"path": "/healthz", "port": "http"},
    "periodSeconds": 2,
    "timeoutSeconds": 1,
    "failureThreshold": 2,
}
KILL_TIMEOUT = 60


def deployment() -> dict:
    container = {
        "name": "search",
        "image": pinned().images["busybox"],
        "command": ["sh", "-c", SCRIPT],
        "ports": [{"name": "http", "containerPort": PORT}],
        "livenessProbe": dict(LIVENESS),
        "readinessProbe": {"httpGet": {"path": "/", "port": "http"}, "periodSeconds": 1},
    }
    return missions.mission_deployment(NAME, container)


def restarted(pod: Any) -> bool:
    return any((s.restart_count or 0) >= 1 for s in pod.status.container_statuses or [])


def apply(cluster: Any, namespace: str) -> None:
    missions.start_over(cluster, namespace, deployments=(NAME,), services=(NAME,), pods=(CLIENT,))
    cluster.core.create_namespaced_service(namespace, missions.mission_service(NAME))
    cluster.core.create_namespaced_pod(namespace, idle_client_pod(CLIENT))
    cluster.apps.create_namespaced_deployment(namespace, deployment())
    missions.wait_for_app_pods(
        cluster,
        namespace,
        NAME,
        lambda found: bool(found) and all(restarted(p) for p in found),
        f"the kubelet's first restart of {NAME} on the real node",
        KILL_TIMEOUT,
    )
