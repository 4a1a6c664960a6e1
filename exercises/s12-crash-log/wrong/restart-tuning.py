"""Wrong: the right line, but a "fix" that only tunes probes and restarts: a startup probe with a long
allowance and a liveness probe that waits five minutes. The program still exits by itself."""

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location("s12_crash_log_solution", Path(__file__).parents[1] / "solution.py")
solution = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(solution)


def apply(cluster, namespace: str) -> None:
    cause = solution.log_lines(cluster, namespace, previous=True)[-1]
    solution.write_answer(cluster, namespace, cause, "gave it more time before the kubelet restarts it")
    app = {
        "name": solution.setup.APP,
        "startupProbe": {"tcpSocket": {"port": "http"}, "periodSeconds": 10, "failureThreshold": 30},
        "livenessProbe": {"tcpSocket": {"port": "http"}, "initialDelaySeconds": 300},
    }
    patch = {"spec": {"progressDeadlineSeconds": 1800, "template": {"spec": {"containers": [app]}}}}
    cluster.apps.patch_namespaced_deployment(solution.setup.NAME, namespace, patch)
