"""Wrong: the line read with plain kubectl logs, from the restarted container (its warning), not the crashed one's."""

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location("s12_crash_log_solution", Path(__file__).parents[1] / "solution.py")
solution = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(solution)


def apply(cluster, namespace: str) -> None:
    current = solution.log_lines(cluster, namespace, previous=False)
    warning = next(line for line in current if line.startswith("warning:"))
    solution.write_answer(cluster, namespace, warning, "the earlier run left its state behind; fixed the config")
    solution.fix(cluster, namespace)
