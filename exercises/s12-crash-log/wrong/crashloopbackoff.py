"""Wrong: the pod's status quoted as the cause (the fix itself is right)."""

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location("s12_crash_log_solution", Path(__file__).parents[1] / "solution.py")
solution = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(solution)


def apply(cluster, namespace: str) -> None:
    solution.write_answer(cluster, namespace, "CrashLoopBackOff", "fixed the configuration")
    solution.fix(cluster, namespace)
