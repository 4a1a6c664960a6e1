"""Wrong: a status write refused with 409 Conflict is not caught, and ends the program."""

from pathlib import Path

from threeplanes.system.controllers import patched, use_controller

SOLUTION = Path(__file__).parents[1] / "solution.py"


def apply(cluster, namespace: str) -> None:
    catch = """            if error.status == 409:
                return False
"""
    use_controller(cluster, namespace, patched(SOLUTION, {catch: ""}, f"{namespace}-crashes-on-409"))
