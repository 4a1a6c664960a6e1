"""Wrong: the children are right, and the Greeting's status is never written (the solution without its status write)."""

from pathlib import Path

from threeplanes.checking.programs import hand_in, patched

SOLUTION = Path(__file__).parents[1] / "solution.py"


def apply(cluster, namespace: str) -> None:
    write = (
        "self.custom.replace_namespaced_custom_object_status(GROUP, VERSION, self.namespace, PLURAL, name, greeting)"
    )
    hand_in(cluster, namespace, patched(SOLUTION, {write: "pass"}), "my_controller.py")
