"""The local backend: a real control plane started as processes, with nodes simulated by kwok.

``kwokctl --runtime binary`` starts etcd, kube-apiserver (TLS and RBAC on, bound to
127.0.0.1 on a free port), kube-controller-manager, kube-scheduler, kwok's controller and
metrics-server as local processes. The worker nodes are Node objects that kwok keeps
alive: it answers their heartbeats and moves their pods through kwok's stages (Running and
Ready, Jobs completing, deletion).

``component_flags`` reads a component's command line back from kwokctl's record of the
cluster; ``start_second_apiserver`` starts one more kube-apiserver from the same binary, with
the same certificates and etcd, under an etcd prefix of its own, so that a lab can try an API
server option (encryption at rest) without touching the cluster every other lab uses.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import psutil
import yaml

from threeplanes.errors import ProvisioningError
from threeplanes.provision import binaries, paths, realnode
from threeplanes.provision import processes as process_control
from threeplanes.provision.etcd import Etcd, from_apiserver_flags
from threeplanes.provision.nodes import Node, default_nodes, node_manifest
from threeplanes.provision.paths import kubectl_binary
from threeplanes.versions import pinned

CLUSTER_NAME = "threeplanes"

CONFIG = paths.CLUSTER_CONFIGS / "kwokctl.yaml"
KWOKCTL_MARGIN_S = 60  # kwokctl's own --wait, plus this, bounds a `kwokctl create cluster`
REAL_NODE_ADDRESS_TYPES = "kubelet-preferred-address-types=InternalIP,Hostname"


def log(message: str) -> None:
    print(f"[cluster] {message}", file=sys.stderr, flush=True)


def kwok_workdir() -> Path:
    return paths.kwok_workdir()


def cluster_dir() -> Path:
    return kwok_workdir() / "clusters" / CLUSTER_NAME


def kubeconfig_path() -> Path:
    """The kubeconfig of the local cluster; written by ``up``, never into ``~/.kube/config``."""
    return paths.kubeconfig_path()


@dataclass
class ProcessInfo:
    name: str
    pid: int
    running: bool


def _component_processes() -> dict[str, psutil.Process]:
    """The cluster's live component processes by name: those its pid files name (checked to be
    the very processes started, see ``process_control.from_pid_file``), and any other process running
    a binary from the cluster's directory (one started just before a ``kwokctl create`` was stopped)."""
    found: dict[str, psutil.Process] = {}
    for pid_file in sorted((cluster_dir() / "pids").glob("*.pid")):
        process = process_control.from_pid_file(pid_file, cluster_dir())
        if process is not None:
            found[pid_file.stem] = process
    known = {p.pid for p in found.values()}
    for process in process_control.running_from(cluster_dir()):
        if process.pid not in known:
            name = Path((process.info.get("cmdline") or ["?"])[0]).name
            found[name if name not in found else f"{name}-{process.pid}"] = process
    return found


def processes() -> list[ProcessInfo]:
    """The component processes of the local cluster, as pid files name them, with whether each still runs."""
    live = _component_processes()
    listed = []
    for pid_file in sorted((cluster_dir() / "pids").glob("*.pid")):
        try:
            pid = int(pid_file.read_text().strip())
        except (ValueError, OSError):
            continue
        listed.append(ProcessInfo(pid_file.stem, pid, pid_file.stem in live and live[pid_file.stem].pid == pid))
    listed += [ProcessInfo(name, p.pid, True) for name, p in live.items() if name not in {i.name for i in listed}]
    return listed


def _env() -> dict[str, str]:
    # kwokctl reads KWOK_METRICS_SERVER_VERSION before its configuration's metricsServerVersion
    # (pkg/config/vars.go), so versions.toml stays the one place metrics-server is pinned.
    return {
        **os.environ,
        "KWOK_WORKDIR": str(kwok_workdir()),
        "KWOK_METRICS_SERVER_VERSION": f"v{pinned().metrics_server}",
    }


def started_config() -> Path:
    """The copy of ``cluster/kwokctl.yaml`` the running cluster was started with."""
    return cluster_dir() / "threeplanes-kwokctl.yaml"


def started_with_this_config() -> bool:
    """False when the book's cluster configuration changed since the cluster was started (a reader
    who updates the book keeps an old cluster running): its labs would meet the old settings."""
    copy = started_config()
    return copy.is_file() and copy.read_bytes() == CONFIG.read_bytes()


def is_running(patience: float = 60) -> bool:
    """True when the local cluster's kube-apiserver answers ``/readyz``.

    A kube-apiserver process that is alive but slow to answer (a machine busy with tests) is asked
    again for up to ``patience`` seconds: taken for dead, its cluster would be removed and started
    afresh under the runs that use it.
    """
    if not kubeconfig_path().exists():
        return False
    deadline = time.monotonic() + patience
    while True:
        try:
            if _kubectl(["get", "--raw", "/readyz", "--request-timeout=3s"], timeout=10).strip() == "ok":
                return True
        except binaries.ProvisioningError:
            pass
        alive = any(p.name == "kube-apiserver" and p.running for p in processes())
        if not alive or time.monotonic() > deadline:
            return False
        time.sleep(1)


def _kubectl(args: list[str], timeout: float, stdin: str | None = None) -> str:
    """Run kubectl against the local cluster; a failure raises with kubectl's own words."""
    command = [kubectl_binary(), "--kubeconfig", str(kubeconfig_path()), *args]
    result = process_control.run(command, input=stdin, capture_output=True, timeout=timeout)
    if result.returncode != 0:
        raise binaries.ProvisioningError(f"kubectl {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def up(nodes: list[Node] | None = None, timeout: float = 120.0) -> Path:
    """Start the local cluster unless it already runs; return its kubeconfig path."""
    if is_running():
        log(f"the local cluster is already running; kubeconfig: {kubeconfig_path()}")
        start_real_node()
        return kubeconfig_path()
    if cluster_dir().exists():
        log("a stopped local cluster was left behind; removing it first")
        down()

    found = binaries.ensure_all()
    _seed_metrics_server_manifest()
    try:
        path = _start(found, nodes, timeout)
    except binaries.ProvisioningError as error:
        # A component that lost the race with a starting kube-apiserver exits and is not
        # restarted by kwokctl (metrics-server does this on a loaded machine): start once more.
        log(f"the cluster did not come up ({error}); stopping it and starting again")
        down()
        path = _start(found, nodes, timeout)
    start_real_node()
    return path


def start_real_node() -> None:
    """Add the one real worker node where the machine allows; otherwise one line says why not."""
    if realnode.is_running():
        return
    components = cluster_dir() / "kwok.yaml"
    if components.is_file() and REAL_NODE_ADDRESS_TYPES not in components.read_text():
        realnode.log(
            "no real node: the running control plane was started without the API server flags the real node "
            f"needs (see {components}); `make cluster-down && make cluster` starts one with them"
        )
        return
    realnode.start_if_possible(kubeconfig_path(), cluster_dir() / "pki", kubectl_binary())


def _start(found: dict[str, Path], nodes: list[Node] | None, timeout: float) -> Path:
    started = time.monotonic()
    log("starting etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok and metrics-server")
    args = [
        str(found["kwokctl"]),
        "--config",
        str(CONFIG),
        "create",
        "cluster",
        "--name",
        CLUSTER_NAME,
        "--runtime",
        "binary",
        "--kubeconfig",
        str(kubeconfig_path()),
        "--kube-apiserver-binary",
        str(found["kube-apiserver"]),
        "--kube-controller-manager-binary",
        str(found["kube-controller-manager"]),
        "--kube-scheduler-binary",
        str(found["kube-scheduler"]),
        "--kwok-controller-binary",
        str(found["kwok"]),
        "--etcd-binary",
        str(found["etcd"]),
        "--enable-metrics-server",
        "--metrics-server-binary",
        str(found["metrics-server"]),
        "--wait",
        f"{int(timeout)}s",
        # The API server presents kwokctl's admin certificate to kubelets, so that `kubectl logs` and
        # `exec` reach the real node's kubelet (which trusts the same CA); kwokctl sets no such flags.
        "--extra-args",
        f"kube-apiserver=kubelet-client-certificate={cluster_dir() / 'pki' / 'admin.crt'}",
        "--extra-args",
        f"kube-apiserver=kubelet-client-key={cluster_dir() / 'pki' / 'admin.key'}",
        # The real node is reached at its InternalIP; kwok's nodes have only a Hostname (localhost). The
        # default order tries Hostname first, and a lookup of the real node's name would leave the machine.
        "--extra-args",
        f"kube-apiserver={REAL_NODE_ADDRESS_TYPES}",
    ]
    log_path = paths.cache_root() / "kwokctl-create.log"
    try:
        with open(log_path, "w") as log_file:
            result = process_control.run(
                args,
                env=_env(),
                stdout=log_file,
                stderr=subprocess.STDOUT,
                timeout=timeout + KWOKCTL_MARGIN_S,
                what=f"`kwokctl create cluster` (log: {log_path})",
            )
    except binaries.ProvisioningError:
        down()  # what it started before its deadline is stopped too
        raise
    if result.returncode != 0:
        tail = "\n".join(log_path.read_text().splitlines()[-15:])
        down()
        raise binaries.ProvisioningError(
            f"kwokctl could not start the cluster (exit {result.returncode}); log: {log_path}\n{tail}"
        )
    log(f"control plane up in {time.monotonic() - started:.1f} s")
    shutil.copyfile(CONFIG, started_config())

    _kubectl(["apply", "-f", "-"], stdin=node_manifest(nodes or default_nodes()), timeout=60)
    _kubectl(["wait", "--for=condition=Ready", "node", "--all", f"--timeout={int(timeout)}s"], timeout=timeout + 10)
    # Until metrics-server answers, namespace deletion stalls on the unavailable metrics API.
    _kubectl(["wait", "--for=condition=Available", "apiservice/v1beta1.metrics.k8s.io", "--timeout=60s"], timeout=70)
    log(f"cluster ready in {time.monotonic() - started:.1f} s; kubeconfig: {kubeconfig_path()}")
    return kubeconfig_path()


def _seed_metrics_server_manifest() -> None:
    """Put metrics-server's manifest where kwokctl looks before it downloads it.

    kwokctl keeps fetched manifests under ``<workdir>/cache/manifest/<sha256 of the URL>.yaml``.
    Seeding that file lets the cluster start where the release downloads are unreachable.
    """
    version = binaries.named("metrics-server").version
    url = binaries.metrics_server_manifest_url(version)
    cached = kwok_workdir() / "cache" / "manifest" / f"{hashlib.sha256(url.encode()).hexdigest()}.yaml"
    if not cached.exists():
        cached.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(binaries.metrics_server_manifest(kubectl_binary()), cached)


def down() -> list[ProcessInfo]:
    """Stop every process of the local cluster and of the real node, and remove their state; return what
    was running."""
    stopped_node = realnode.down(kubeconfig_path())
    for name in stopped_node.processes:
        log(f"stopped the real node's {name}")
    started = processes()
    kwokctl = binaries.named("kwok").cache_dir / "kwokctl"
    named_dir = os.environ.get(binaries.BIN_DIR_ENV)
    if named_dir and (Path(named_dir) / "kwokctl").exists():
        kwokctl = Path(named_dir) / "kwokctl"
    if kwokctl.exists() and cluster_dir().exists():
        try:
            process_control.run(
                [str(kwokctl), "delete", "cluster", "--name", CLUSTER_NAME, "--kubeconfig", str(kubeconfig_path())],
                env=_env(),
                capture_output=True,
                timeout=120,
            )
        except binaries.ProvisioningError as error:
            log(f"{error} Stopping the processes one by one.")
    left = process_control.stop(_component_processes().values())
    if left:
        raise binaries.ProvisioningError(
            "these cluster processes survived SIGKILL: "
            + ", ".join(f"{p.pid}" for p in left)
            + "; stop them by hand, then run `make cluster-down` again."
        )
    if cluster_dir().exists():
        shutil.rmtree(cluster_dir(), ignore_errors=True)
    kubeconfig_path().unlink(missing_ok=True)
    return started


# --- what kwokctl started, and one more API server beside it ----------------------------------


def component(name: str) -> dict | None:
    """kwokctl's record of one component of the local cluster (binary, args, ports), or None."""
    path = cluster_dir() / "kwok.yaml"
    if not path.is_file():
        return None
    for document in yaml.safe_load_all(path.read_text()):
        for found in (document or {}).get("components", []):
            if found.get("name") == name:
                return found
    return None


def flags_of(record: dict) -> dict[str, str]:
    """``{flag: value}`` of the command line in kwokctl's ``record`` of a component."""
    pairs = (a.removeprefix("--").partition("=") for a in record.get("args", []))
    return {k: v for k, _, v in pairs}


def component_flags(name: str) -> dict[str, str]:
    """``{flag: value}`` of a component of the local cluster, as kwokctl started it; empty if none."""
    return flags_of(component(name) or {})


SECOND_PREFIX = "/threeplanes-second"  # under which every second API server keeps its objects


def second_apiservers_dir() -> Path:
    return paths.cache_root() / "second-apiservers"


@dataclass
class SecondApiserver:
    """A kube-apiserver that shares the local cluster's etcd and certificates, and nothing else."""

    server: str  # https://127.0.0.1:<port>, reached with the cluster's own kubeconfig credentials
    etcd: Etcd  # the shared etcd, with this server's own prefix
    folder: Path  # its files, log and PID file

    def stop(self) -> int:
        """Stop the server and delete every key it wrote; return how many keys there were."""
        for started in process_control.recorded(self.folder):
            process_control.stop_started(started)
        shutil.rmtree(self.folder, ignore_errors=True)
        return self.etcd.delete_prefix(self.etcd.prefix + "/")

    @property
    def running(self) -> bool:
        return any(p.running for p in process_control.recorded(self.folder))


def start_second_apiserver(
    name: str, files: dict[str, str], flags: dict[str, str], timeout: float = 60
) -> SecondApiserver:
    """Start a kube-apiserver beside the local cluster's, with ``flags`` added to or replacing its own.

    It runs the same binary with the same certificates and the same etcd, on a port of its own
    and under the etcd prefix ``/threeplanes-second/<name>``, so that no object of the cluster is
    visible to it, nor any of its objects to the cluster. ``files`` (``{file name: text}``) are
    written into a private folder first, and ``{folder}`` in a flag's value names it. The server
    stops when the Python process that started it exits; ``stop`` also deletes what it stored,
    and a later start deletes what a server stopped without ``stop`` left.
    """
    record = component("kube-apiserver")
    if record is None:
        raise ProvisioningError("no local cluster was started on this machine (make cluster BACKEND=local).")
    own = flags_of(record)
    base = from_apiserver_flags(own)
    for left in second_apiservers_dir().glob("*"):
        second = SecondApiserver("", dataclasses.replace(base, prefix=f"{SECOND_PREFIX}/{left.name}"), left)
        if not second.running:
            second.stop()
    folder = second_apiservers_dir() / name
    folder.mkdir(parents=True, mode=0o700)
    for file_name, text in files.items():
        (folder / file_name).write_text(text)
        (folder / file_name).chmod(0o600)
    port = _free_port()
    own.update({"secure-port": str(port), "etcd-prefix": f"{SECOND_PREFIX}/{name}"})
    own.update({k: v.format(folder=folder) for k, v in flags.items()})
    command = [record["binary"], *(f"--{k}={v}" for k, v in own.items())]
    started = process_control.start("kube-apiserver", command, folder, folder, die_with_parent=True)
    second = SecondApiserver(f"https://127.0.0.1:{port}", from_apiserver_flags(own), folder)
    pki = cluster_dir() / "pki"
    deadline = time.monotonic() + timeout
    while not _ready(second.server, pki):
        if not started.running or time.monotonic() > deadline:
            tail = "\n".join(started.log.read_text().splitlines()[-10:])
            second.stop()
            raise ProvisioningError(f"the second kube-apiserver did not become ready within {timeout:g} s:\n{tail}")
        time.sleep(0.2)
    return second


def _ready(server: str, pki: Path) -> bool:
    context = ssl.create_default_context(cafile=str(pki / "ca.crt"))
    context.load_cert_chain(str(pki / "admin.crt"), str(pki / "admin.key"))
    try:
        with urllib.request.urlopen(f"{server}/readyz", timeout=2, context=context) as reply:
            return reply.read().strip() == b"ok"
    except (urllib.error.URLError, OSError):
        return False


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
