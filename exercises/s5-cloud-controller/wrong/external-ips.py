"""Wrong: the address goes into spec.externalIPs (a field of the Service's owner) instead of its status."""

from pathlib import Path

from threeplanes.checking.programs import hand_in, patched

SOLUTION = Path(__file__).parents[1] / "solution.py"


def apply(cluster, namespace: str) -> None:
    change = {
        'self.core.patch_namespaced_service_status(name, self.namespace, {"status": status})': (
            'self.core.patch_namespaced_service(name, self.namespace, {"spec": {"externalIPs": [free[0]]}})'
        )
    }
    hand_in(cluster, namespace, patched(SOLUTION, change), "my_cloud.py")
