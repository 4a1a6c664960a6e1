"""Reference fix: a Job's pod template cannot be changed, so the Job is read, deleted (its pods with
it) and made again with ``--month 2026-11``, without the selector and labels the API server added to
the first one; then its completion awaited."""

from threeplanes.kit.wait import wait_for_gone, wait_for_job

NAME = "invoices"
ADDED_LABELS = ("controller-uid", "batch.kubernetes.io/controller-uid", "job-name", "batch.kubernetes.io/job-name")


def apply(cluster, namespace: str) -> None:
    old = cluster.api_client.sanitize_for_serialization(cluster.batch.read_namespaced_job(NAME, namespace))
    cluster.batch.delete_namespaced_job(NAME, namespace, propagation_policy="Foreground")
    wait_for_gone(cluster.batch.list_namespaced_job, NAME, what=f"Job {NAME}", namespace=namespace)
    spec = old["spec"]
    spec.pop("selector", None)
    spec.pop("manualSelector", None)
    labels = spec["template"]["metadata"]["labels"]
    for key in ADDED_LABELS:
        labels.pop(key, None)
    spec["template"]["spec"]["containers"][0]["args"] = ["--month", "2026-11"]
    metadata = {"name": NAME, "labels": old["metadata"].get("labels") or {}}
    for key in ADDED_LABELS:
        metadata["labels"].pop(key, None)
    cluster.batch.create_namespaced_job(
        namespace, {"apiVersion": "batch/v1", "kind": "Job", "metadata": metadata, "spec": spec}
    )
    wait_for_job(cluster, namespace, NAME, "Complete", timeout=90)
