"""Setup of the fix-missing-config-key mission: a storefront whose container cannot be made, and a client.

``storefront`` is a busybox shell script that writes its greeting (the variable ``WELCOME_MESSAGE``)
into a page and serves it with busybox's ``httpd`` on port 8080, behind the Service ``storefront``
(port 80), on the real node. Its configuration is the ConfigMap ``storefront-config``, which was
rewritten with kebab-case keys (``welcome-message``, ``currency``); the Deployment still reads the
old key ``WELCOME_MESSAGE``, which is not there. The reference is not optional, so the kubelet does
not make the container (``CreateContainerConfigError``) and says why in an event. ``storefront-client``
is the pod the checker sends its requests from. Running the setup again starts the mission over.
"""

from __future__ import annotations

from typing import Any

from threeplanes.checking import missions
from threeplanes.checking.missions import idle_client_pod
from threeplanes.versions import pinned

NAME = "storefront"
CONFIG = "storefront-config"
CLIENT = "storefront-client"
LABELS = {"app": NAME}
PORT = 8080
GREETING = "Welcome to the Three Planes shop"
KEY_READ, KEY_THERE = "WELCOME_MESSAGE", "welcome-message"
SCRIPT = (
    'mkdir -p /tmp/www && echo "$WELCOME_MESSAGE" > /tmp/www/index.html && '
    f'echo "storefront: greeting set, serving on {PORT} in $CURRENCY" && exec httpd -f -p {PORT} -h /tmp/www'
)
WAIT_TIMEOUT = 90


def config_map() -> dict:
    data = {KEY_THERE: GREETING, "currency": "EUR"}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": CONFIG, "labels": LABELS}, "data": data}


def deployment() -> dict:
    def from_config(variable: str, key: str) -> dict:
        return {"name": variable, "valueFrom": {"configMapKeyRef": {"name": CONFIG, "key": key}}}

    container = {
        "name": "web",
        "image": pinned().images["busybox"],
        "command": ["sh", "-c", SCRIPT],
        "env": [from_config(KEY_READ, KEY_READ), from_config("CURRENCY", "currency")],
        "ports": [{"name": "http", "containerPort": PORT}],
    }
    return missions.mission_deployment(NAME, container)


def service() -> dict:
    return missions.mission_service(NAME)


def start_over(cluster: Any, namespace: str) -> None:
    """Delete what an earlier setup (or attempt) left."""
    missions.start_over(
        cluster, namespace, deployments=(NAME,), services=(NAME,), config_maps=(CONFIG,), pods=(CLIENT,)
    )


def config_error(pod: Any) -> bool:
    return any(
        s.state.waiting is not None and s.state.waiting.reason == "CreateContainerConfigError"
        for s in pod.status.container_statuses or []
    )


def apply(cluster: Any, namespace: str) -> None:
    start_over(cluster, namespace)
    cluster.core.create_namespaced_config_map(namespace, config_map())
    cluster.core.create_namespaced_service(namespace, service())
    cluster.core.create_namespaced_pod(namespace, idle_client_pod(CLIENT))
    cluster.apps.create_namespaced_deployment(namespace, deployment())
    missions.wait_for_app_pods(
        cluster,
        namespace,
        NAME,
        lambda found: bool(found) and all(config_error(p) for p in found),
        f"the kubelet's refusal to make the container of {NAME} on the real node",
        WAIT_TIMEOUT,
    )
