"""Wrong: every LoadBalancer Service is taken as the controller's own, whatever its loadBalancerClass."""

from pathlib import Path

from threeplanes.checking.programs import hand_in, patched

SOLUTION = Path(__file__).parents[1] / "solution.py"


def apply(cluster, namespace: str) -> None:
    change = {
        'return service.spec.type == "LoadBalancer" and service.spec.load_balancer_class == LB_CLASS': (
            'return service.spec.type == "LoadBalancer"'
        )
    }
    hand_in(cluster, namespace, patched(SOLUTION, change), "my_cloud.py")
