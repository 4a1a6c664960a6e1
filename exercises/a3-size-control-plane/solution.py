"""A solution: the sizing worked out with the lab's calculator on the figures kept on this machine, and
handed in with kubectl.

Three etcd members keep a majority (two) after losing one. Three control-plane machines are at most 8 %
of the machines from 35 workers on. The memory share comes from the lab's figures at 35 nodes.
"""

import shlex

from threeplanes.barriers.cost import Machine, load_figures, overhead, smallest_cluster
from threeplanes.kit.kubectl import kubectl

REPLICAS = 3  # survives the loss of one: a majority of 2 is left
WORKER = Machine(cpu=4, memory_gib=16)


def apply(cluster, namespace: str) -> None:
    measured = load_figures()  # the lab's last run here, or the setup's own measurement
    workers = smallest_cluster(measured, REPLICAS, WORKER, 0.08, "machines")
    share = overhead(measured, REPLICAS, WORKER, workers)
    literals = {
        "controlPlaneNodes": REPLICAS,
        "workerNodes": workers,
        "overheadPercent": f"{100 * share.memory:.3f}",
    }
    options = " ".join(f"--from-literal={k}={shlex.quote(str(v))}" for k, v in literals.items())
    kubectl(f"create configmap sizing -n {namespace} {options}", cluster, show=False)
