"""Wrong: the memory share handed in as the calculator's fraction (0.0026), not in percent."""

from threeplanes.barriers.cost import Machine, load_figures, overhead
from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    share = overhead(load_figures(), 3, Machine(cpu=4, memory_gib=16), 35)
    kubectl(
        f"create configmap sizing -n {namespace} --from-literal=controlPlaneNodes=3 "
        f"--from-literal=workerNodes=35 --from-literal=overheadPercent={share.memory:.6f}",
        cluster,
        show=False,
    )
