"""Right, written another way, with kubectl as a reader types it: kubectl create service clusterip db
--clusterip=None makes a headless Service that selects app=db, so the database pods are labelled
app=db too; db-0 is made again from its own YAML with hostname and subdomain (kubectl replace --force)."""

import json
import tempfile
from pathlib import Path

from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    n = f"-n {namespace}"
    kubectl(f"create service clusterip db --clusterip=None {n}", cluster, show=False)
    kubectl(f"label pods -l role=db app=db {n}", cluster, show=False)
    pod = json.loads(kubectl(f"get pod db-0 -o json {n}", cluster, show=False))
    for key in ("resourceVersion", "uid", "creationTimestamp", "managedFields"):
        pod["metadata"].pop(key, None)
    pod.pop("status", None)
    pod["spec"].pop("nodeName", None)
    pod["spec"].update(hostname="primary", subdomain="db")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "db-0.json"
        path.write_text(json.dumps(pod))
        kubectl(f"replace --force -f {path} {n}", cluster, show=False, timeout=90)
