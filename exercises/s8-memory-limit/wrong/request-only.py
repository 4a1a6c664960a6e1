"""Wrong: a memory request and no limit: the scheduler reserves room, nothing stops the leak."""

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location("s8_memory_limit_solution", Path(__file__).parents[1] / "solution.py")
solution = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(solution)


def apply(cluster, namespace: str) -> None:
    solution.set_resources(cluster, namespace, {"requests": {"memory": "128Mi"}})
