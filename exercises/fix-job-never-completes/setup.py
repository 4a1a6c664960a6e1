"""Setup of the fix-job-never-completes mission: the monthly invoice run, whose every try fails.

``invoices`` is a Job on the real node that runs the team's script ``send-invoices.sh`` (from the
ConfigMap ``invoice-run``, mounted at ``/scripts``) once: it sends an invoice to each customer the
ConfigMap lists, for the month named by ``--month``, then logs ``sent <n> invoices for <month>``.
The script wants the month as ``YYYY-MM``; the Job passes ``--month 11/2026``, so every try
logs ``send-invoices: --month wants YYYY-MM, got '11/2026'`` and exits 2. The pod's
``restartPolicy`` is ``Never``: the Job controller makes a new pod for each try, with a growing
delay, until ``backoffLimit`` tries have failed; then the Job is ``Failed`` (reason
``BackoffLimitExceeded``) and runs no more. The setup waits for the first failed pod; the Job
goes on to fail by itself. Running the setup again starts the mission over.
"""

from __future__ import annotations

from typing import Any

from threeplanes.checking import missions
from threeplanes.kit.control_plane import on_real_node
from threeplanes.kit.wait import wait_for_gone
from threeplanes.versions import pinned

NAME, SCRIPTS = "invoices", "invoice-run"
MONTH, WRONG_MONTH = "2026-11", "11/2026"
CUSTOMERS = ("acme-hardware", "borealis-books", "cobalt-cafe")
BACKOFF_LIMIT = 2
SCRIPT = """\
#!/bin/sh
# Send this month's invoice to every customer in /scripts/customers.
month=""
while [ $# -gt 0 ]; do
  case "$1" in
    --month) month="$2"; shift 2 ;;
    *) echo "send-invoices: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
case "$month" in
  [0-9][0-9][0-9][0-9]-[01][0-9]) ;;
  *) echo "send-invoices: --month wants YYYY-MM, got '$month'" >&2; exit 2 ;;
esac
sent=0
while read -r customer; do
  [ -n "$customer" ] || continue
  echo "invoice $month sent to $customer"
  sent=$((sent + 1))
done < /scripts/customers
echo "sent $sent invoices for $month"
"""
FAILED_RUN = "--month wants YYYY-MM"


def done_line(month: str = MONTH) -> str:
    return f"sent {len(CUSTOMERS)} invoices for {month}"


def scripts() -> dict:
    data = {"send-invoices.sh": SCRIPT, "customers": "".join(f"{c}\n" for c in CUSTOMERS)}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": SCRIPTS}, "data": data}


def job(month: str = WRONG_MONTH) -> dict:
    container = {
        "name": "send",
        "image": pinned().images["busybox"],
        "command": ["sh", "/scripts/send-invoices.sh"],
        "args": ["--month", month],
        "volumeMounts": [{"name": "scripts", "mountPath": "/scripts"}],
    }
    pod_spec = {
        "restartPolicy": "Never",
        "terminationGracePeriodSeconds": 1,
        "containers": [container],
        "volumes": [{"name": "scripts", "configMap": {"name": SCRIPTS}}],
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": NAME, "labels": {"app": NAME}},
        "spec": {
            "backoffLimit": BACKOFF_LIMIT,
            "completions": 1,
            "template": {"metadata": {"labels": {"app": NAME}}, "spec": on_real_node(pod_spec)},
        },
    }


def start_over(cluster: Any, namespace: str) -> None:
    missions.delete_if_there(
        lambda: cluster.batch.delete_namespaced_job(NAME, namespace, propagation_policy="Foreground")
    )
    missions.start_over(cluster, namespace, config_maps=(SCRIPTS,))
    wait_for_gone(cluster.batch.list_namespaced_job, NAME, what=f"Job {NAME}", namespace=namespace)


def failed(pod: Any) -> bool:
    return pod.status.phase == "Failed"


def apply(cluster: Any, namespace: str) -> None:
    start_over(cluster, namespace)
    cluster.core.create_namespaced_config_map(namespace, scripts())
    cluster.batch.create_namespaced_job(namespace, job())
    missions.wait_for_app_pods(
        cluster, namespace, NAME, lambda found: any(failed(p) for p in found), f"the first failed run of {NAME}", 60
    )
