"""Wrong: resumed, and every night at 02:00, but with no time zone: the controller reads the schedule in
its own zone, UTC, so the report runs at 03:00 in Paris (04:00 in summer)."""

from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    patch = '{"spec": {"suspend": false, "schedule": "0 2 * * *"}}'
    kubectl(f"patch cronjob nightly-report --type=merge -p '{patch}' -n {namespace}", cluster, show=False)
