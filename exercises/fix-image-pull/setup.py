"""Setup of the fix-image-pull mission: release 3.2 of ``catalogue``, whose image the node can never get.

``catalogue`` is a shell script on the real node: busybox's ``httpd`` serves ``catalogue <release>``
on port 8080, the release taken from the variable ``RELEASE``. Release 3.1 runs from the busybox
image. The team's record of releases, the ConfigMap ``catalogue-releases``, says that release 3.2
runs the same script from the agnhost image, ``agnhost:2.63``; the rollout of 3.2 asked for
``agnhost:2.36``, two digits swapped. The node holds only the images built on this machine and no
registry can be reached, so the kubelet's pull fails (``ErrImagePull``, then ``ImagePullBackOff``
as it waits longer between tries). The surge pod of 3.2 never starts, the rollout waits for it
(``maxUnavailable`` rounds down to 0 of 2 replicas), and the 3.1 pods keep serving.
``catalogue-client`` is the pod the checker sends its requests from. Running the setup again
starts the mission over.
"""

from __future__ import annotations

from typing import Any

from threeplanes.checking import missions
from threeplanes.checking.missions import idle_client_pod
from threeplanes.kit.wait import wait_for_rollout
from threeplanes.versions import pinned

NAME, CLIENT, RELEASES = "catalogue", "catalogue-client", "catalogue-releases"
REPLICAS = 2
PORT = 8080
OLD, NEW = "3.1", "3.2"
RELEASE_ANNOTATION = "shop.example/release"
SCRIPT = (
    'mkdir -p /tmp/www; echo "catalogue $RELEASE" > /tmp/www/index.html; '
    'echo "catalogue $RELEASE: serving on port 8080"; '
    f"exec httpd -f -p {PORT} -h /tmp/www"
)
PULL_FAILED = ("ErrImagePull", "ImagePullBackOff")


def images() -> dict[str, str]:
    """The image of each release, as the team meant it."""
    return {OLD: pinned().images["busybox"], NEW: pinned().images["web"]}


def mistyped(image: str) -> str:
    """The image the rollout of 3.2 asked for: the tag's two numbers swapped (``2.63`` becomes ``2.36``)."""
    name, tag = image.rsplit(":", 1)
    major, minor = tag.split(".", 1)
    return f"{name}:{major}.{minor[::-1]}"


def releases() -> dict:
    notes = {
        OLD: "the catalogue served by busybox's httpd, from the busybox image",
        NEW: "the same script, moved to the agnhost image the other services use",
    }
    data = {release: f"image: {image}\nnotes: {notes[release]}\n" for release, image in images().items()}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": RELEASES}, "data": data}


def deployment(release: str = OLD, image: str | None = None) -> dict:
    container = {
        "name": "web",
        "image": image or images()[release],
        "command": ["sh", "-c", SCRIPT],
        "env": [{"name": "RELEASE", "value": release}],
        "ports": [{"name": "http", "containerPort": PORT}],
        "readinessProbe": {"httpGet": {"path": "/", "port": "http"}, "periodSeconds": 1},
    }
    found = missions.mission_deployment(NAME, container, REPLICAS, progressDeadlineSeconds=30)
    found["metadata"]["annotations"] = {RELEASE_ANNOTATION: release}
    return found


def release_of(pod: Any) -> str:
    return next((e.value for e in pod.spec.containers[0].env or [] if e.name == "RELEASE"), "")


def pull_failed(pod: Any) -> bool:
    return any(
        s.state.waiting is not None and s.state.waiting.reason in PULL_FAILED
        for s in pod.status.container_statuses or []
    )


def apply(cluster: Any, namespace: str) -> None:
    missions.start_over(
        cluster, namespace, deployments=(NAME,), services=(NAME,), config_maps=(RELEASES,), pods=(CLIENT,)
    )
    cluster.core.create_namespaced_config_map(namespace, releases())
    cluster.core.create_namespaced_service(namespace, missions.mission_service(NAME))
    cluster.core.create_namespaced_pod(namespace, idle_client_pod(CLIENT))
    cluster.apps.create_namespaced_deployment(namespace, deployment())
    wait_for_rollout(cluster, namespace, NAME, timeout=90)
    new = deployment(NEW, mistyped(images()[NEW]))
    patch = {"metadata": {"annotations": new["metadata"]["annotations"]}, "spec": {"template": new["spec"]["template"]}}
    cluster.apps.patch_namespaced_deployment(NAME, namespace, patch)
    missions.wait_for_app_pods(
        cluster,
        namespace,
        NAME,
        lambda found: any(release_of(p) == NEW and pull_failed(p) for p in found),
        f"the kubelet's first failed pull for {NAME} {NEW} on the real node",
        60,
    )
