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

from threeplanes.checking import missions
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
    return missions.mission_deployment(NAME, container)


def start_over(cluster: Any, namespace: str) -> None:
    missions.start_over(cluster, namespace, deployments=(NAME,))


def oom_killed(pod: Any) -> bool:
    for status in pod.status.container_statuses or []:
        for state in (status.state, status.last_state):
            if state and state.terminated and state.terminated.reason == "OOMKilled":
                return True
    return False


def apply(cluster: Any, namespace: str) -> None:
    start_over(cluster, namespace)
    cluster.apps.create_namespaced_deployment(namespace, deployment())
    missions.wait_for_app_pods(
        cluster,
        namespace,
        NAME,
        lambda found: bool(found) and all(oom_killed(p) for p in found),
        f"the first OOM kill of {NAME} on the real node",
        KILL_TIMEOUT,
    )
