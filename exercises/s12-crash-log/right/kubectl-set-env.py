"""Right, written another way: everything with kubectl, as a reader types it, the line read with
--timestamps (the checker takes the time off), the answer made with --from-literal, the fix with
kubectl set env (on the sidecar with -c metrics when the port is taken)."""

import importlib.util
import shlex
from pathlib import Path

from threeplanes.kit.effects import poll_until
from threeplanes.kit.kubectl import kubectl

_spec = importlib.util.spec_from_file_location("s12_crash_log_setup", Path(__file__).parents[1] / "setup.py")
setup = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(setup)


def apply(cluster, namespace: str) -> None:
    n = f"-n {namespace}"
    # Asked again while the kubelet says it cannot find the container (one removed as the next crashed).
    log = poll_until(
        lambda: kubectl(f"logs deployment/ledger -c app --previous --timestamps {n}", cluster, show=False),
        lambda text: bool(text.strip()) and "unable to retrieve container logs" not in text,
        what="ledger's crashed container's log",
        timeout=30,
    ).seen
    line = log.strip().splitlines()[-1]
    container, variable, value = setup.variant(namespace).fix()
    fix = f"kubectl set env deployment/ledger -c {container} {variable}={value}"
    literals = f"--from-literal=line={shlex.quote(line)} --from-literal=fix={shlex.quote(fix)}"
    kubectl(f"create configmap answer {literals} {n}", cluster, show=False)
    kubectl(f"set env deployment/ledger -c {container} {variable}={value} {n}", cluster, show=False)
    kubectl(f"rollout status deployment/ledger --timeout=90s {n}", cluster, show=False, timeout=100)
