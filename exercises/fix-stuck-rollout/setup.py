"""Setup of the fix-stuck-rollout mission: release v2 of ``checkout``, stuck behind a probe that can never pass.

``checkout`` is a busybox shell script on the real node: busybox's ``httpd`` listens on port 8080
at once, but the application needs ``WARMUP`` seconds before it can serve: until then ``GET /``
answers 404 (an error for a customer), then ``/`` answers ``checkout <version> ok`` and
``/healthz`` answers ``ok``. Release v1 ran with a readiness probe on ``/healthz``. Release v2
changed only the version, and, by mistake, the probe's path, to ``/health``, a page that never
exists: the surge pod of v2 is never Ready, the rollout waits for it (``maxUnavailable`` rounds
down to 0 of 2 replicas), and the v1 pods keep serving. After ``progressDeadlineSeconds`` the
Deployment's ``Progressing`` condition says ``ProgressDeadlineExceeded``. ``checkout-client`` is
the pod the checker sends its requests from. Running the setup again starts the mission over.
"""

from __future__ import annotations

from typing import Any

from kubernetes import client

from threeplanes.checking.missions import client_pod
from threeplanes.errors import LabError, WaitTimeout
from threeplanes.kit.control_plane import on_real_node
from threeplanes.kit.pods import live
from threeplanes.kit.wait import wait_for, wait_for_gone, wait_for_rollout
from threeplanes.versions import pinned

NAME, CLIENT = "checkout", "checkout-client"
LABELS = {"app": NAME}
REPLICAS = 2
PORT = 8080
WARMUP = 6
GOOD_PATH, BAD_PATH = "/healthz", "/health"
SCRIPT = (
    "mkdir -p /tmp/www; "
    f"httpd -f -p {PORT} -h /tmp/www & "
    'echo "checkout $VERSION: warming up (caches, price lists)"; '
    f"sleep {WARMUP}; "
    'echo "checkout $VERSION ok" > /tmp/www/index.html; echo ok > /tmp/www/healthz; '
    'echo "checkout $VERSION: ready"; wait'
)


def deployment(version: str = "v1", path: str = GOOD_PATH) -> dict:
    container = {
        "name": "web",
        "image": pinned().images["busybox"],
        "command": ["sh", "-c", SCRIPT],
        "env": [{"name": "VERSION", "value": version}],
        "ports": [{"name": "http", "containerPort": PORT}],
        "readinessProbe": {"httpGet": {"path": path, "port": "http"}, "periodSeconds": 1},
    }
    spec = {"terminationGracePeriodSeconds": 1, "containers": [container]}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": NAME, "labels": LABELS},
        "spec": {
            "replicas": REPLICAS,
            "progressDeadlineSeconds": 30,
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


def apply(cluster: Any, namespace: str) -> None:
    _ignore_missing(lambda: cluster.apps.delete_namespaced_deployment(NAME, namespace, propagation_policy="Foreground"))
    _ignore_missing(lambda: cluster.core.delete_namespaced_service(NAME, namespace))
    _ignore_missing(lambda: cluster.core.delete_namespaced_pod(CLIENT, namespace, grace_period_seconds=1))
    wait_for_gone(cluster.apps.list_namespaced_deployment, NAME, what=f"Deployment {NAME}", namespace=namespace)
    wait_for_gone(cluster.core.list_namespaced_pod, CLIENT, what=f"pod {CLIENT}", namespace=namespace)
    cluster.core.create_namespaced_service(namespace, service())
    cluster.core.create_namespaced_pod(namespace, client_pod(CLIENT))
    cluster.apps.create_namespaced_deployment(namespace, deployment())
    wait_for_rollout(cluster, namespace, NAME, timeout=90)
    v2 = deployment("v2", BAD_PATH)["spec"]["template"]
    cluster.apps.patch_namespaced_deployment(NAME, namespace, {"spec": {"template": v2}})
    try:
        wait_for(
            cluster.core.list_namespaced_pod,
            lambda found: any(
                any(e.value == "v2" for e in p.spec.containers[0].env or []) and p.status.phase == "Running"
                for p in live(found)
            ),
            what=f"the first pod of {NAME} v2 running on the real node",
            describe=lambda found: ", ".join(f"{p.metadata.name}: {p.status.phase}" for p in live(found)) or "no pod",
            timeout=60,
            namespace=namespace,
            label_selector=f"app={NAME}",
        )
    except WaitTimeout as error:
        raise LabError(f"{error}. Is the real node Ready? kubectl get nodes") from None
