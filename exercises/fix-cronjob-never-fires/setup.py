"""Setup of the fix-cronjob-never-fires mission: a nightly report whose CronJob cannot fire as meant.

The CronJob ``nightly-report`` should make the finance report every night at 02:00, Paris time.
Its Job template is sound (a busybox container on the real node that writes the report to its log),
but three things in its spec keep it from firing when it should:

- ``suspend: true``, left from last week's maintenance: the CronJob controller makes no Job at all;
- the schedule ``0 2 * * 1``, copied from the weekly backup's line: Mondays only;
- no ``timeZone``: the schedule is read in the controller's own zone (UTC on the book's cluster),
  an hour (in summer two) away from Paris.

Running the setup again starts the mission over (the CronJob and its Jobs made afresh).
"""

from __future__ import annotations

from typing import Any

from threeplanes.checking import missions
from threeplanes.kit.wait import wait_for_gone
from threeplanes.provision.realnode import on_real_node
from threeplanes.versions import pinned

NAME = "nightly-report"
SCHEDULE, ZONE = "0 2 * * *", "Europe/Paris"  # what the page asks for
BROKEN_SCHEDULE = "0 2 * * 1"
REPORT = "nightly report written"  # the line the report's container logs
SCRIPT = f'echo "finance figures for $(date -u +%F): 128 orders, 3 refunds"; echo "{REPORT}"'


def cron_job() -> dict:
    container = {"name": "report", "image": pinned().images["busybox"], "command": ["sh", "-c", SCRIPT]}
    pod_spec = on_real_node({"restartPolicy": "Never", "terminationGracePeriodSeconds": 1, "containers": [container]})
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": NAME, "labels": {"app": NAME}},
        "spec": {
            "schedule": BROKEN_SCHEDULE,
            "suspend": True,
            "jobTemplate": {
                "metadata": {"labels": {"app": NAME}},
                "spec": {"backoffLimit": 0, "template": {"metadata": {"labels": {"app": NAME}}, "spec": pod_spec}},
            },
        },
    }


def start_over(cluster: Any, namespace: str) -> None:
    missions.delete_if_there(
        lambda: cluster.batch.delete_namespaced_cron_job(NAME, namespace, propagation_policy="Background")
    )
    for job in cluster.batch.list_namespaced_job(namespace).items:
        missions.delete_if_there(
            lambda name=job.metadata.name: cluster.batch.delete_namespaced_job(
                name, namespace, propagation_policy="Background"
            )
        )
    wait_for_gone(cluster.batch.list_namespaced_cron_job, NAME, what=f"CronJob {NAME}", namespace=namespace)


def apply(cluster: Any, namespace: str) -> None:
    start_over(cluster, namespace)
    cluster.batch.create_namespaced_cron_job(namespace, cron_job())
