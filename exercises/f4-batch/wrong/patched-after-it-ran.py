"""Wrong: run all six parts at once (two seconds each), then, once the Job has finished, patch parallelism to 2.

The spec now reads right, but the run did not follow it: the checker judges the run.
"""

from threeplanes.kit.control_plane import on_real_node
from threeplanes.kit.wait import wait_for_job
from threeplanes.versions import pinned


def apply(cluster, namespace: str) -> None:
    command = ["sh", "-c", "echo one part; sleep 2"]
    container = {"name": "report", "image": pinned().images["busybox"], "command": command}
    spec = {
        "completions": 6,
        "parallelism": 6,
        "backoffLimit": 2,
        "ttlSecondsAfterFinished": 3600,
        "template": {"spec": on_real_node({"restartPolicy": "Never", "containers": [container]})},
    }
    body = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "report"}, "spec": spec}
    cluster.batch.create_namespaced_job(namespace, body)
    wait_for_job(cluster, namespace, "report", timeout=60)
    cluster.batch.patch_namespaced_job("report", namespace, {"spec": {"parallelism": 2}})
