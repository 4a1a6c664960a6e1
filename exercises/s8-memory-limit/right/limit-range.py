"""Right, written another way: cruncher untouched, a LimitRange of the namespace that gives every
container without limits a default memory limit of 96Mi (and a default request), then kubectl
rollout restart, so that cruncher's new pod is admitted with it."""

import tempfile
from pathlib import Path

from threeplanes.kit.kubectl import kubectl

LIMIT_RANGE = """\
apiVersion: v1
kind: LimitRange
metadata: {name: memory-defaults}
spec:
  limits:
  - type: Container
    default: {memory: 96Mi}
    defaultRequest: {memory: 96Mi}
"""


def apply(cluster, namespace: str) -> None:
    n = f"-n {namespace}"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "limit-range.yaml"
        path.write_text(LIMIT_RANGE)
        kubectl(f"apply -f {path} {n}", cluster, show=False)
    kubectl(f"rollout restart deployment/cruncher {n}", cluster, show=False)
    kubectl(f"rollout status deployment/cruncher --timeout=90s {n}", cluster, show=False, timeout=100)
