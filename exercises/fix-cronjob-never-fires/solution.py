"""Reference fix: the CronJob resumed, its schedule every night at 02:00, read in Paris time."""

NAME = "nightly-report"


def apply(cluster, namespace: str) -> None:
    patch = {"spec": {"suspend": False, "schedule": "0 2 * * *", "timeZone": "Europe/Paris"}}
    cluster.batch.patch_namespaced_cron_job(NAME, namespace, patch)
