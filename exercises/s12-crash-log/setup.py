"""Setup of the s12-crash-log exercise: the Deployment ``ledger``, crashing on the real node, and its crash on record.

``ledger`` is a busybox shell script that logs to its standard error, checks its configuration,
opens a journal, then serves HTTP with busybox's ``httpd``. A native sidecar, ``metrics``, serves
on a port of its own. What breaks it depends on the namespace's name (``variant``), so that two
readers do not share an answer: a required configuration key left out of the environment
(``missing-key``), the sidecar told to listen on the application's port (``port-taken``), or the
journal pointed into the read-only ConfigMap volume (``read-only``). The names (the key, the ports,
the folders) vary with the name too. Each run prints the same lines and ends with the one that
says why; a restarted run first warns that the run before did not stop cleanly.

The setup waits for the first crash and keeps what the crashed container printed (``kubectl logs
--previous``) and what the restarted one prints, in a record of the namespace's own on this
machine (``record_path``): the checker judges the reader's quoted line against it. Running the
setup again starts the exercise over.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
from pathlib import Path
from typing import Any, NamedTuple

from kubernetes import client

from threeplanes.errors import LabError, WaitTimeout
from threeplanes.kit.control_plane import on_real_node
from threeplanes.kit.effects import poll_until
from threeplanes.kit.pods import live, pod_log
from threeplanes.kit.wait import wait_for, wait_for_gone
from threeplanes.versions import pinned

NAME = "ledger"
CONFIG = "ledger-config"
APP, SIDECAR = "app", "metrics"
LABELS = {"app": NAME}
KINDS = ("missing-key", "port-taken", "read-only")
KEYS = ("LEDGER_REGION", "LEDGER_CURRENCY", "LEDGER_TIMEZONE", "LEDGER_OWNER")
VALUES = {"LEDGER_REGION": "eu-west", "LEDGER_CURRENCY": "EUR", "LEDGER_TIMEZONE": "UTC", "LEDGER_OWNER": "finance"}
PORTS = (8080, 8000, 8888, 3000)
METRICS_PORT = 9090
DATA_DIRS = ("/data", "/srv/ledger", "/var/lib/ledger")
CONFIG_DIRS = ("/etc/ledger", "/config")
STATE_DIR = "/run/ledger"
# What the kubelet serves instead of a log when the container was removed meanwhile (a restart removes
# the dead container before the one that just crashed): the kubelet's words, not the container's.
NO_LOG = "unable to retrieve container logs"
CRASH_TIMEOUT = 90  # seconds for the first run to start and crash on the real node


class Variant(NamedTuple):
    """What breaks ``ledger`` in one namespace, and the names it uses there (a NamedTuple: the exercise's
    modules are loaded from their files, outside ``sys.modules``, where a dataclass cannot be made)."""

    kind: str
    key: str
    port: int
    data_dir: str
    config_dir: str

    @property
    def metrics_port(self) -> int:
        return self.port if self.kind == "port-taken" else METRICS_PORT

    @property
    def journal_dir(self) -> str:
        return self.config_dir if self.kind == "read-only" else self.data_dir

    def fix(self) -> tuple[str, str, str]:
        """The environment change that removes the cause: (container, variable, value)."""
        if self.kind == "missing-key":
            return APP, self.key, VALUES[self.key]
        if self.kind == "port-taken":
            return SIDECAR, "METRICS_PORT", str(METRICS_PORT)
        return APP, "LEDGER_DATA_DIR", self.data_dir


def variant(namespace: str) -> Variant:
    """The namespace's variant, from a hash of its name (the same name, the same variant)."""
    digest = hashlib.sha256(namespace.encode()).digest()
    return Variant(
        kind=KINDS[digest[0] % len(KINDS)],
        key=KEYS[digest[1] % len(KEYS)],
        port=PORTS[digest[2] % len(PORTS)],
        data_dir=DATA_DIRS[digest[3] % len(DATA_DIRS)],
        config_dir=CONFIG_DIRS[digest[4] % len(CONFIG_DIRS)],
    )


def script(v: Variant) -> str:
    """The application: every line to standard error (one stream, so the lines keep their order)."""
    return "\n".join(
        [
            "exec >&2",
            'echo "ledger 2.4 starting"',
            f"if [ -e {STATE_DIR}/running ]; then",
            f'  echo "warning: {STATE_DIR}/running is left from an earlier run that did not stop cleanly"',
            "fi",
            f"touch {STATE_DIR}/running",
            f'echo "reading configuration from {v.config_dir} and the environment"',
            "sleep 2",
            f'if [ -z "${{{v.key}:-}}" ]; then',
            f'  echo "fatal: required configuration key {v.key} is not set"',
            "  exit 1",
            "fi",
            'echo "opening the journal in $LEDGER_DATA_DIR"',
            ': > "$LEDGER_DATA_DIR/ledger.lock" || exit 1',
            f'echo "serving HTTP on port {v.port}"',
            "mkdir -p /tmp/www && echo 'ledger ok' > /tmp/www/index.html",
            f"exec httpd -f -p {v.port} -h /tmp/www",
        ]
    )


SIDECAR_SCRIPT = (
    "mkdir -p /tmp/metrics && echo 'ledger_up 1' > /tmp/metrics/index.html && "
    'exec httpd -f -p "$METRICS_PORT" -h /tmp/metrics'
)


def config_map(v: Variant) -> dict:
    data = {key: VALUES[key] for key in KEYS if not (v.kind == "missing-key" and key == v.key)}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": CONFIG}, "data": data}


def deployment(v: Variant) -> dict:
    image = pinned().images["busybox"]
    app = {
        "name": APP,
        "image": image,
        "command": ["sh", "-c", script(v)],
        "envFrom": [{"configMapRef": {"name": CONFIG}}],
        "env": [{"name": "LEDGER_DATA_DIR", "value": v.journal_dir}],
        "ports": [{"name": "http", "containerPort": v.port}],
        # Ready once the application itself serves its page (the port alone may be someone else's).
        "readinessProbe": {
            "exec": {"command": ["sh", "-c", f"wget -qO- http://127.0.0.1:{v.port}/ | grep -q 'ledger ok'"]},
            "periodSeconds": 2,
        },
        "volumeMounts": [
            {"name": "config", "mountPath": v.config_dir},
            {"name": "data", "mountPath": v.data_dir},
            {"name": "state", "mountPath": STATE_DIR},
        ],
    }
    sidecar = {
        "name": SIDECAR,
        "image": image,
        "restartPolicy": "Always",
        "command": ["sh", "-c", SIDECAR_SCRIPT],
        "env": [{"name": "METRICS_PORT", "value": str(v.metrics_port)}],
    }
    spec = {
        "initContainers": [sidecar],
        "containers": [app],
        "terminationGracePeriodSeconds": 1,
        "volumes": [
            {"name": "config", "configMap": {"name": CONFIG}},
            {"name": "data", "emptyDir": {}},
            {"name": "state", "emptyDir": {}},
        ],
    }
    template = {
        "metadata": {"labels": LABELS, "annotations": {"kubectl.kubernetes.io/default-container": APP}},
        "spec": on_real_node(spec),
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": NAME},
        "spec": {"replicas": 1, "selector": {"matchLabels": LABELS}, "template": template},
    }


# --- the record the checker judges the quoted line against -------------------------------------


def record_path(namespace: str) -> Path:
    """Where the crash of ``namespace``'s ledger is kept on this machine."""
    return Path(tempfile.gettempdir()) / "threeplanes-crash-logs" / f"{namespace}.json"


def read_record(namespace: str) -> dict[str, Any] | None:
    path = record_path(namespace)
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def write_record(namespace: str, record: dict[str, Any]) -> None:
    path = record_path(namespace)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1))


def forget_record(namespace: str) -> None:
    record_path(namespace).unlink(missing_ok=True)
    try:
        record_path(namespace).parent.rmdir()  # once no namespace has a record
    except OSError:
        pass


def app_status(pod: Any) -> Any | None:
    return next((s for s in pod.status.container_statuses or [] if s.name == APP), None)


def keep_crash(cluster: Any, namespace: str, pod: Any, record: dict[str, Any]) -> bool:
    """Add to ``record`` what the app container of ``pod`` printed in the run that crashed last; True if new."""
    status = app_status(pod)
    ended = status.last_state.terminated if status and status.last_state else None
    if ended is None or not ended.container_id or ended.exit_code == 0:
        return False
    if ended.container_id in record["crashed"]:
        return False
    try:
        text = cluster.core.read_namespaced_pod_log(
            pod.metadata.name, namespace, container=APP, previous=True, _preload_content=False
        ).data.decode()
    except client.ApiException:
        return False  # the container was removed meanwhile
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines or lines[0].startswith(NO_LOG):
        return False
    record["crashed"][ended.container_id] = lines
    return True


def template_of(cluster: Any, found: Any) -> dict:
    """A Deployment's pod spec as plain JSON, as the API server stored it (defaults filled in)."""
    return cluster.api_client.sanitize_for_serialization(found.spec.template.spec)


# --- the setup ---------------------------------------------------------------------------------


def start_over(cluster: Any, namespace: str) -> None:
    """Delete ``ledger`` and its ConfigMap if an earlier attempt left them, and the earlier record."""
    forget_record(namespace)
    for delete in (
        lambda: cluster.apps.delete_namespaced_deployment(NAME, namespace, propagation_policy="Foreground"),
        lambda: cluster.core.delete_namespaced_config_map(CONFIG, namespace),
    ):
        try:
            delete()
        except client.ApiException as error:
            if error.status != 404:
                raise
    wait_for_gone(cluster.apps.list_namespaced_deployment, NAME, what=f"Deployment {NAME}", namespace=namespace)


def crashed_once(pods: list) -> bool:
    return any((s := app_status(p)) and s.restart_count >= 1 and s.last_state.terminated for p in live(pods))


def describe(pods: list) -> str:
    found = [(p.metadata.name, app_status(p)) for p in live(pods)]
    return ", ".join(f"{n}: {s.restart_count if s else 0} restarts" for n, s in found) or "no pod"


def apply(cluster: Any, namespace: str) -> None:
    """Make ``ledger`` and its ConfigMap, wait for the first crash, and keep its log and the restart's."""
    v = variant(namespace)
    start_over(cluster, namespace)
    cluster.core.create_namespaced_config_map(namespace, config_map(v))
    cluster.apps.create_namespaced_deployment(namespace, deployment(v))
    try:
        pods = wait_for(
            cluster.core.list_namespaced_pod,
            crashed_once,
            what=f"the first crash of {NAME} on the real node",
            describe=describe,
            timeout=CRASH_TIMEOUT,
            namespace=namespace,
            label_selector=f"app={NAME}",
        )
    except WaitTimeout as error:
        raise LabError(f"{error}. Is the real node Ready? kubectl get nodes") from None
    pod = next(p for p in live(pods) if crashed_once([p]))
    record: dict[str, Any] = {
        "pod": pod.metadata.uid,
        "template": template_of(cluster, cluster.apps.read_namespaced_deployment(NAME, namespace)),
        "crashed": {},
        "current": [],
    }
    # The crashed run's log, then what the restarted run prints first (its warning).
    poll_until(
        lambda: keep_crash(cluster, namespace, cluster.core.read_namespaced_pod(pod.metadata.name, namespace), record),
        bool,
        what=f"the log of {NAME}'s crashed container",
        timeout=30,
    )
    time.sleep(0.5)
    current = poll_until(
        lambda: pod_log(cluster, namespace, pod.metadata.name, container=APP),
        lambda text: "warning" in text,
        what=f"the log of {NAME}'s restarted container",
        describe=lambda text: text[-80:],
        timeout=30,
    ).seen
    record["current"] = [line for line in current.splitlines() if line.strip()]
    write_record(namespace, record)
