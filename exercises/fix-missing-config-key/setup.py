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

from kubernetes import client

from threeplanes.checking.missions import client_pod
from threeplanes.errors import LabError, WaitTimeout
from threeplanes.kit.control_plane import on_real_node
from threeplanes.kit.pods import live
from threeplanes.kit.wait import wait_for, wait_for_gone
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
    spec = {"terminationGracePeriodSeconds": 1, "containers": [container]}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": NAME, "labels": LABELS},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": LABELS},
            "template": {"metadata": {"labels": LABELS}, "spec": on_real_node(spec)},
        },
    }


def service() -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": NAME, "labels": LABELS},
        "spec": {"selector": LABELS, "ports": [{"name": "http", "port": 80, "targetPort": "http"}]},
    }


def _ignore_missing(delete: Any) -> None:
    try:
        delete()
    except client.ApiException as error:
        if error.status != 404:
            raise


def start_over(cluster: Any, namespace: str) -> None:
    """Delete what an earlier setup (or attempt) left."""
    _ignore_missing(lambda: cluster.apps.delete_namespaced_deployment(NAME, namespace, propagation_policy="Foreground"))
    _ignore_missing(lambda: cluster.core.delete_namespaced_service(NAME, namespace))
    _ignore_missing(lambda: cluster.core.delete_namespaced_config_map(CONFIG, namespace))
    _ignore_missing(lambda: cluster.core.delete_namespaced_pod(CLIENT, namespace, grace_period_seconds=1))
    wait_for_gone(cluster.apps.list_namespaced_deployment, NAME, what=f"Deployment {NAME}", namespace=namespace)
    wait_for_gone(cluster.core.list_namespaced_pod, CLIENT, what=f"pod {CLIENT}", namespace=namespace)


def config_error(pod: Any) -> bool:
    return any(
        s.state.waiting is not None and s.state.waiting.reason == "CreateContainerConfigError"
        for s in pod.status.container_statuses or []
    )


def apply(cluster: Any, namespace: str) -> None:
    start_over(cluster, namespace)
    cluster.core.create_namespaced_config_map(namespace, config_map())
    cluster.core.create_namespaced_service(namespace, service())
    cluster.core.create_namespaced_pod(namespace, client_pod(CLIENT))
    cluster.apps.create_namespaced_deployment(namespace, deployment())
    try:
        wait_for(
            cluster.core.list_namespaced_pod,
            lambda found: bool(live(found)) and all(config_error(p) for p in live(found)),
            what=f"the kubelet's refusal to make the container of {NAME} on the real node",
            describe=lambda found: ", ".join(f"{p.metadata.name}: {p.status.phase}" for p in live(found)) or "no pod",
            timeout=WAIT_TIMEOUT,
            namespace=namespace,
            label_selector=f"app={NAME}",
        )
    except WaitTimeout as error:
        raise LabError(f"{error}. Is the real node Ready? kubectl get nodes") from None
