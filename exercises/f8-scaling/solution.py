"""A solution: give api's container a CPU request, then autoscale it between 2 and 5 replicas at 60% CPU.

The same two commands by hand:

    kubectl set resources deployment api --requests=cpu=100m -n <namespace>
    kubectl autoscale deployment api --min=2 --max=5 --cpu=60% -n <namespace>
"""

from threeplanes.kit.kubectl import kubectl


def apply(cluster, namespace: str) -> None:
    kubectl(f"set resources deployment api --requests=cpu=100m -n {namespace}", cluster, show=False)
    kubectl(f"autoscale deployment api --min=2 --max=5 --cpu=60% -n {namespace}", cluster, show=False)
