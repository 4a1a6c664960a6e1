"""Wrong: the reference answer, then a second replica for availability (kubectl scale): two pods on one
ReadWriteOnce claim. Both run on the real node, so both mount it, and the app stops each time the other
writes its name into the data directory."""

from pathlib import Path

import yaml

from threeplanes.barriers.state import kubectl_apply
from threeplanes.kit.kubectl import kubectl

SOLUTION = Path(__file__).resolve().parents[1] / "solution.yaml"


def apply(cluster, namespace: str) -> None:
    kubectl_apply(cluster, namespace, list(yaml.safe_load_all(SOLUTION.read_text())))
    kubectl(f"scale deployment notes --replicas=2 -n {namespace}", cluster, show=False)
