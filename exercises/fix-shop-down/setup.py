"""Setup of the fix-shop-down mission: three faults at once, each hiding the next.

``shop`` is two replicas of a busybox shell script on the real node: it copies its banner from the
file ``/etc/shop/banner`` (the ConfigMap ``shop-config``, mounted as a volume) into a page, writes
``ok`` to ``/healthz`` beside it, and serves both with busybox's ``httpd`` on port 8080 (the shell
stays the container's first process, httpd its child). The Service ``shop`` sends port 80 to the
pods. Three things were broken in one maintenance window:

1. the ConfigMap's key was renamed ``banner.txt``, so the mounted folder has no file ``banner``:
   the script says so on its error output and exits 1, and the kubelet restarts it
   (``CrashLoopBackOff``);
2. the readiness probe asks port 8081, where nothing listens: once the script runs, the pods stay
   not Ready, so the EndpointSlice lists them as not ready and the Service sends them nothing;
3. the Service's ``targetPort`` is 80, where the pods do not listen.

``shop-client`` is the pod the checker sends its requests from. The setup waits for the first
crash. Running it again starts the mission over.
"""

from __future__ import annotations

from typing import Any

from threeplanes.checking import missions
from threeplanes.checking.missions import idle_client_pod
from threeplanes.versions import pinned

NAME, CONFIG, CLIENT = "shop", "shop-config", "shop-client"
REPLICAS = 2
PORT = 8080
BANNER = "Winter sale: 20% off everything"
RENAMED_KEY = "banner.txt"
SCRIPT = (
    "mkdir -p /tmp/www; "
    "if [ ! -r /etc/shop/banner ]; then "
    'echo "shop: cannot read the banner, /etc/shop/banner: no such file (found: $(ls /etc/shop | tr "\\n" " "))" >&2; '
    "exit 1; fi; "
    "cp /etc/shop/banner /tmp/www/index.html && echo ok > /tmp/www/healthz && "
    f'echo "shop: serving the banner on {PORT}" && httpd -f -p {PORT} -h /tmp/www & wait'
)
CRASH_TIMEOUT = 90


def config_map() -> dict:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": CONFIG, "labels": {"app": NAME}},
        "data": {RENAMED_KEY: BANNER},
    }


def deployment() -> dict:
    container = {
        "name": "web",
        "image": pinned().images["busybox"],
        "command": ["sh", "-c", SCRIPT],
        "ports": [{"name": "http", "containerPort": PORT}],
        "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8081}, "periodSeconds": 2, "failureThreshold": 1},
        "volumeMounts": [{"name": "config", "mountPath": "/etc/shop", "readOnly": True}],
    }
    made = missions.mission_deployment(NAME, container, REPLICAS)
    made["spec"]["template"]["spec"]["volumes"] = [{"name": "config", "configMap": {"name": CONFIG}}]
    return made


def service() -> dict:
    made = missions.mission_service(NAME)
    made["spec"]["ports"][0]["targetPort"] = 80
    return made


def crashed(pod: Any) -> bool:
    return any(
        s.restart_count or (s.last_state and s.last_state.terminated) for s in pod.status.container_statuses or []
    )


def apply(cluster: Any, namespace: str) -> None:
    missions.start_over(
        cluster, namespace, deployments=(NAME,), services=(NAME,), config_maps=(CONFIG,), pods=(CLIENT,)
    )
    cluster.core.create_namespaced_config_map(namespace, config_map())
    cluster.core.create_namespaced_service(namespace, service())
    cluster.core.create_namespaced_pod(namespace, idle_client_pod(CLIENT))
    cluster.apps.create_namespaced_deployment(namespace, deployment())
    missions.wait_for_app_pods(
        cluster,
        namespace,
        NAME,
        lambda found: len(found) == REPLICAS and all(crashed(p) for p in found),
        f"the first crash of both {NAME} pods on the real node",
        CRASH_TIMEOUT,
    )
