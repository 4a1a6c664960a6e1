"""Setup of the fix-oomkilled mission: a thumbnailer whose container the kernel kills for its memory.

``thumbnailer`` is agnhost's ``stress`` command standing in for an image worker: at start it
allocates its working buffers, 96 MiB in 8 MiB steps (about a second), writes every byte, logs
``Allocated "96Mi" memory`` and holds them. It runs on the real node, where the limit is real:
the container's memory cgroup is capped at the Deployment's ``limits.memory``, 64 MiB, so the
kernel's OOM killer ends the process before it is done (exit code 137, reason ``OOMKilled``) and
the kubelet restarts it, with a growing back-off. The setup waits for the first kill. Running the
setup again starts the mission over.
"""

from __future__ import annotations

from typing import Any

from kubernetes import client

from threeplanes.errors import LabError, WaitTimeout
from threeplanes.kit.control_plane import on_real_node
from threeplanes.kit.pods import live
from threeplanes.kit.wait import wait_for, wait_for_gone
from threeplanes.versions import pinned

NAME = "thumbnailer"
LABELS = {"app": NAME}
WORKING_SET = "96Mi"
ARGS = ["stress", "--mem-total", WORKING_SET, "--mem-alloc-size", "8Mi", "--mem-alloc-sleep", "50ms"]
LIMIT = "64Mi"
KILL_TIMEOUT = 90


def deployment() -> dict:
    container = {
        "name": "worker",
        "image": pinned().images["web"],
        "args": ARGS,
        "resources": {"requests": {"memory": LIMIT, "cpu": "50m"}, "limits": {"memory": LIMIT}},
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


def start_over(cluster: Any, namespace: str) -> None:
    try:
        cluster.apps.delete_namespaced_deployment(NAME, namespace, propagation_policy="Foreground")
    except client.ApiException as error:
        if error.status != 404:
            raise
    wait_for_gone(cluster.apps.list_namespaced_deployment, NAME, what=f"Deployment {NAME}", namespace=namespace)


def oom_killed(pod: Any) -> bool:
    for status in pod.status.container_statuses or []:
        for state in (status.state, status.last_state):
            if state and state.terminated and state.terminated.reason == "OOMKilled":
                return True
    return False


def apply(cluster: Any, namespace: str) -> None:
    start_over(cluster, namespace)
    cluster.apps.create_namespaced_deployment(namespace, deployment())
    try:
        wait_for(
            cluster.core.list_namespaced_pod,
            lambda found: bool(live(found)) and all(oom_killed(p) for p in live(found)),
            what=f"the first OOM kill of {NAME} on the real node",
            describe=lambda found: ", ".join(f"{p.metadata.name}: {p.status.phase}" for p in live(found)) or "no pod",
            timeout=KILL_TIMEOUT,
            namespace=namespace,
            label_selector=f"app={NAME}",
        )
    except WaitTimeout as error:
        raise LabError(f"{error}. Is the real node Ready? kubectl get nodes") from None
