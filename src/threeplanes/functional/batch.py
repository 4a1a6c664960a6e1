"""Batch work on a simulated cluster: making a Job's pods fail, as a kubelet would report it.

No container runs on the simulated nodes, so no container can exit with an error: kwok marks
every pod a Job owns ``Succeeded`` as soon as it runs. To show a Job that fails, a lab keeps
the Job's pods off every node with a **scheduling gate** (``held``), so kwok never starts them,
and then reports each one ``Failed``, with exit code 1, through the pod's ``status``
subresource: the same call a kubelet makes when a container exits with an error
(``report_failed``). The Job controller cannot tell the difference; it counts the failure,
waits, and creates the next attempt. ``fail_attempts`` does that for every attempt until a
given number have failed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from threeplanes.kit.pods import live
from threeplanes.kit.wait import Objects, wait_for

HOLD = "threeplanes.io/held-by-the-lab"
JOB_NAME = "batch.kubernetes.io/job-name"


def held(pod_spec: dict[str, Any]) -> dict[str, Any]:
    """``pod_spec`` with a scheduling gate: its pods stay Pending, unscheduled, until the gate is removed."""
    return {**pod_spec, "schedulingGates": [{"name": HOLD}]}


def is_held(pod: Any) -> bool:
    return any(g.name == HOLD for g in pod.spec.scheduling_gates or [])


def failed_status(pod: Any, exit_code: int = 1) -> dict[str, Any]:
    """The status a kubelet writes when the pod's only attempt ends with ``exit_code``."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    terminated = {"exitCode": exit_code, "reason": "Error", "startedAt": now, "finishedAt": now}
    containers = [
        {"name": c.name, "image": c.image, "imageID": "", "ready": False, "restartCount": 0,
         "state": {"terminated": terminated}}
        for c in pod.spec.containers
    ]  # fmt: skip
    return {"status": {"phase": "Failed", "containerStatuses": containers}}


def report_failed(cluster: Any, pod: Any, exit_code: int = 1) -> None:
    """Report ``pod`` as Failed with ``exit_code``, through its status subresource."""
    name, namespace = pod.metadata.name, pod.metadata.namespace
    cluster.core.patch_namespaced_pod_status(name, namespace, failed_status(pod, exit_code))


def fail_attempts(cluster: Any, namespace: str, job: str, attempts: int, timeout: float = 60) -> Objects:
    """Report every held pod of Job ``job`` Failed as it appears, until ``attempts`` pods have failed.

    Returns the Job's pods, oldest first.
    """

    reported: set[str] = set()

    def fail_new_ones(pods: Objects) -> bool:
        for pod in pods:
            if pod.status.phase == "Pending" and is_held(pod) and pod.metadata.name not in reported:
                report_failed(cluster, pod)
                reported.add(pod.metadata.name)
        return sum(p.status.phase == "Failed" for p in pods) >= attempts

    pods = wait_for(
        cluster.core.list_namespaced_pod,
        fail_new_ones,
        what=f"{attempts} attempt(s) of Job {namespace}/{job} to fail",
        describe=lambda pods: ", ".join(f"{p.metadata.name}: {p.status.phase}" for p in pods) or "no pods",
        timeout=timeout,
        namespace=namespace,
        label_selector=f"{JOB_NAME}={job}",
    )
    return sorted(pods, key=lambda p: p.metadata.creation_timestamp)


def pod_counts(pods: list[Any]) -> dict[str, int]:
    """Pods by what they are doing: ``active`` (Pending or Running, not being deleted), ``succeeded``, ``failed``."""
    return {
        "active": sum(p.status.phase in ("Pending", "Running") for p in live(pods)),
        "succeeded": sum(p.status.phase == "Succeeded" for p in pods),
        "failed": sum(p.status.phase == "Failed" for p in pods),
    }
