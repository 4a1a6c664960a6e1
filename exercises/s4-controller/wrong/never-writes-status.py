"""Wrong: the children are right, and the Greeting's status is never written (the solution without its status write)."""

from pathlib import Path

from threeplanes.system.controllers import patched, use_controller

SOLUTION = Path(__file__).parents[1] / "solution.py"


def apply(cluster, namespace: str) -> None:
    write = (
        "self.custom.replace_namespaced_custom_object_status(GROUP, VERSION, self.namespace, PLURAL, name, greeting)"
    )
    use_controller(cluster, namespace, patched(SOLUTION, {write: "pass"}, f"{namespace}-no-status"))
