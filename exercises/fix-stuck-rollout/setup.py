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

from threeplanes.checking import missions
from threeplanes.checking.missions import idle_client_pod
from threeplanes.kit.wait import wait_for_rollout
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
    return missions.mission_deployment(NAME, container, REPLICAS, progressDeadlineSeconds=30)


def service() -> dict:
    return missions.mission_service(NAME)


def apply(cluster: Any, namespace: str) -> None:
    missions.start_over(cluster, namespace, deployments=(NAME,), services=(NAME,), pods=(CLIENT,))
    cluster.core.create_namespaced_service(namespace, service())
    cluster.core.create_namespaced_pod(namespace, idle_client_pod(CLIENT))
    cluster.apps.create_namespaced_deployment(namespace, deployment())
    wait_for_rollout(cluster, namespace, NAME, timeout=90)
    v2 = deployment("v2", BAD_PATH)["spec"]["template"]
    cluster.apps.patch_namespaced_deployment(NAME, namespace, {"spec": {"template": v2}})
    missions.wait_for_app_pods(
        cluster,
        namespace,
        NAME,
        lambda found: any(
            any(e.value == "v2" for e in p.spec.containers[0].env or []) and p.status.phase == "Running" for p in found
        ),
        f"the first pod of {NAME} v2 running on the real node",
        60,
    )
