"""Right, written another way: one JSON patch with kubectl, the day-of-week field written as ``?`` (any),
which the CronJob controller's parser reads as ``*``."""

import json

from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    patch = json.dumps(
        [
            {"op": "replace", "path": "/spec/suspend", "value": False},
            {"op": "replace", "path": "/spec/schedule", "value": "0 2 * * ?"},
            {"op": "add", "path": "/spec/timeZone", "value": "Europe/Paris"},
        ]
    )
    kubectl(f"patch cronjob nightly-report --type=json -p '{patch}' -n {namespace}", cluster, show=False)
