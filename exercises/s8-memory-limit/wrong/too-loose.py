"""Wrong: a limit of 1Gi, above what the leak takes: it gets its 512 MiB and runs on."""

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location("s8_memory_limit_solution", Path(__file__).parents[1] / "solution.py")
solution = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(solution)


def apply(cluster, namespace: str) -> None:
    solution.set_resources(cluster, namespace, {"limits": {"memory": "1Gi"}})
