"""Right, written another way: imperative kubectl. The ConfigMap made from the old server's file
(``kubectl create configmap --from-file``), the clock's Service by ``kubectl create service``, the
claim from a file, and the Deployment patched in place: an init container, the two volumes."""

import json
import tempfile
from pathlib import Path

from threeplanes.kit.kubectl import kubectl

HERE = Path(__file__).resolve().parents[1]
CLAIM = """apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: tally-data}
spec:
  storageClassName: ""
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 50Mi}}
"""
WAIT = "until wget -q -O /dev/null http://clock:8080/; do echo waiting for the clock; sleep 2; done"
PATCH = {
    "spec": {
        "template": {
            "spec": {
                "initContainers": [
                    {"name": "clock-first", "image": "localhost/threeplanes/tally:1.0", "command": ["sh", "-c", WAIT]}
                ],
                "containers": [
                    {
                        "name": "tally",
                        "volumeMounts": [
                            {"name": "conf", "mountPath": "/etc/tally"},
                            {"name": "data", "mountPath": "/var/lib/tally"},
                        ],
                    }
                ],
                "volumes": [
                    {"name": "conf", "configMap": {"name": "tally-files"}},
                    {"name": "data", "persistentVolumeClaim": {"claimName": "tally-data"}},
                ],
            }
        }
    }
}


def apply(cluster, namespace: str) -> None:
    n = f"-n {namespace}"
    kubectl(f"create configmap tally-files --from-file={HERE / 'tally.conf'} {n}", cluster, show=False)
    kubectl(f"create service clusterip clock --tcp=8080:8080 {n}", cluster, show=False)
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as claim:
        claim.write(CLAIM)
        claim.flush()
        kubectl(f"apply -f {claim.name} {n}", cluster, show=False)
    kubectl(f"patch deployment tally {n} --type strategic -p '{json.dumps(PATCH)}'", cluster, show=False)
