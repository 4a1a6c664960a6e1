"""Right, written another way: the Job exported with kubectl, its arguments corrected and the fields
the API server added removed, then ``kubectl replace --force`` (which deletes the Job and creates it
again: its template cannot be changed in place)."""

import json
import tempfile

from threeplanes.kit.kubectl import kubectl

ADDED = ("controller-uid", "batch.kubernetes.io/controller-uid", "job-name", "batch.kubernetes.io/job-name")


def apply(cluster, namespace: str) -> None:
    n = f"-n {namespace}"
    job = json.loads(kubectl(f"get job invoices -o json {n}", cluster, show=False))
    job.pop("status", None)
    job["metadata"] = {"name": "invoices", "labels": {"app": "invoices"}}
    job["spec"].pop("selector", None)
    labels = job["spec"]["template"]["metadata"]["labels"]
    for key in ADDED:
        labels.pop(key, None)
    job["spec"]["template"]["spec"]["containers"][0]["args"] = ["--month", "2026-11"]
    with tempfile.NamedTemporaryFile("w", suffix=".json") as manifest:
        json.dump(job, manifest)
        manifest.flush()
        kubectl(f"replace --force -f {manifest.name} {n}", cluster, show=False, timeout=90)
    kubectl(f"wait --for=condition=Complete job/invoices --timeout=90s {n}", cluster, show=False, timeout=100)
