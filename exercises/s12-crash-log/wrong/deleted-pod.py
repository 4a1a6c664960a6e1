"""Wrong: the right line, then the crashing pod deleted, as if a new one would not crash."""

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location("s12_crash_log_solution", Path(__file__).parents[1] / "solution.py")
solution = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(solution)


def apply(cluster, namespace: str) -> None:
    cause = solution.log_lines(cluster, namespace, previous=True)[-1]
    solution.write_answer(cluster, namespace, cause, "deleted the pod so that it starts afresh")
    pod = solution.crashing_pod(cluster, namespace)
    cluster.core.delete_namespaced_pod(pod.metadata.name, namespace)
