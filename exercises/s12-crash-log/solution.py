"""Solution of s12-crash-log: read the crashed container's last line, quote it, and fix what it names.

``kubectl logs deployment/ledger -c app --previous`` ends with the line that says why the run
stopped; the fix is one environment variable of the Deployment, which depends on that line:

- ``fatal: required configuration key <KEY> is not set``: give the app container ``<KEY>``;
- ``httpd: bind: Address already in use``: the sidecar ``metrics`` was told to listen on the
  application's port (``METRICS_PORT``); give it a port of its own, 9090;
- ``sh: can't create <dir>/ledger.lock: Read-only file system``: ``LEDGER_DATA_DIR`` points into
  the ConfigMap's volume, which the kubelet mounts read-only; point it at the ``data`` volume.

The functions are shared with the wrong answers and the right one written another way.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from kubernetes import client

from threeplanes.kit.effects import poll_until
from threeplanes.kit.pods import live
from threeplanes.kit.wait import wait_for_rollout

_spec = importlib.util.spec_from_file_location("s12_crash_log_setup", Path(__file__).with_name("setup.py"))
setup = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(setup)


def crashing_pod(cluster, namespace: str):
    (pod,) = live(cluster.core.list_namespaced_pod(namespace, label_selector=f"app={setup.NAME}").items)
    return pod


def log_lines(cluster, namespace: str, previous: bool) -> list[str]:
    """The lines of the app container's log: the crashed run's (``previous``) or the current one's.

    Asked again, as a reader would, while the kubelet answers that it cannot find the container (it
    removes a dead container when the next one has crashed)."""

    def read() -> list[str]:
        pod = crashing_pod(cluster, namespace)
        text = cluster.core.read_namespaced_pod_log(
            pod.metadata.name, namespace, container=setup.APP, previous=previous, _preload_content=False
        ).data.decode()
        return [line for line in text.splitlines() if line.strip()]

    return poll_until(
        read, lambda lines: bool(lines) and not lines[0].startswith(setup.NO_LOG), what="ledger's log", timeout=30
    ).seen


def write_answer(cluster, namespace: str, line: str, fix: str) -> None:
    body = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="answer"), data={"line": line, "fix": fix})
    cluster.core.create_namespaced_config_map(namespace, body)


def fix_patch(namespace: str) -> dict:
    """The strategic merge patch that sets the one variable the crash names (env entries merge by name)."""
    container, variable, value = setup.variant(namespace).fix()
    kind = "containers" if container == setup.APP else "initContainers"
    entry = {"name": container, "env": [{"name": variable, "value": value}]}
    return {"spec": {"template": {"spec": {kind: [entry]}}}}


def fix(cluster, namespace: str) -> None:
    cluster.apps.patch_namespaced_deployment(setup.NAME, namespace, fix_patch(namespace))
    wait_for_rollout(cluster, namespace, setup.NAME, timeout=90)


def apply(cluster, namespace: str) -> None:
    cause = log_lines(cluster, namespace, previous=True)[-1]
    container, variable, value = setup.variant(namespace).fix()
    write_answer(cluster, namespace, cause, f"set {variable}={value} on the container {container}")
    fix(cluster, namespace)
