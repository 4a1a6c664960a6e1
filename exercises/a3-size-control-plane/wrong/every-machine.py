"""Wrong: workerNodes counts every machine of the cluster, 38, the three control-plane ones included."""

from threeplanes.barriers.cost import Machine, load_figures, overhead
from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    share = overhead(load_figures(), 3, Machine(cpu=4, memory_gib=16), 35)
    percent = f"{100 * share.memory:.3f}"
    kubectl(
        f"create configmap sizing -n {namespace} --from-literal=controlPlaneNodes=3 "
        f"--from-literal=workerNodes=38 --from-literal=overheadPercent={percent}",
        cluster,
        show=False,
    )
