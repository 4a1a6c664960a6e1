"""Wrong: a status write refused with 409 Conflict is not caught, and ends the program."""

from pathlib import Path

from threeplanes.checking.programs import hand_in, patched

SOLUTION = Path(__file__).parents[1] / "solution.py"


def apply(cluster, namespace: str) -> None:
    catch = """            if error.status == 409:
                return False
"""
    hand_in(cluster, namespace, patched(SOLUTION, {catch: ""}), "my_controller.py")
