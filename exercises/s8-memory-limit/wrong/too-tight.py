"""Wrong: 48Mi of limit, the size of the data, with no room for the process itself
(its rollout never completes: its new pod is OOMKilled again and again)."""

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location("s8_memory_limit_solution", Path(__file__).parents[1] / "solution.py")
solution = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(solution)


def apply(cluster, namespace: str) -> None:
    solution.set_resources(cluster, namespace, {"limits": {"memory": "48Mi"}}, wait=False)
