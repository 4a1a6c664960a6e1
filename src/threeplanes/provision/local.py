"""The local backend: a real control plane started as processes, with nodes simulated by kwok.

``kwokctl --runtime binary`` starts etcd, kube-apiserver (TLS and RBAC on, bound to
127.0.0.1 on free ports), kube-controller-manager, kube-scheduler, kwok's controller and,
where asked, metrics-server as local processes. The worker nodes are Node objects that kwok
keeps alive: it answers their heartbeats and moves their pods through kwok's stages (Running
and Ready, Jobs completing, deletion).

A ``Local`` is one such control plane, as a value: its name, kwokctl's working folder, its
configuration, extra flags per component, its simulated nodes and whether the real node joins
it. The book's cluster is ``Local.book()``; the bench's bare cluster, a test's pair of control
planes and a lab's second API server are the same code with other arguments, and never touch
the book's files, ports or processes. Its components can be stopped, started and restarted one
by one, their flags and logs read back from kwokctl's record of the cluster.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import shutil
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import psutil
import yaml
from filelock import FileLock, Timeout

from threeplanes.errors import ProvisioningError
from threeplanes.provision import binaries, paths, realnode
from threeplanes.provision import kubectl as kubectl_runner
from threeplanes.provision import processes as process_control
from threeplanes.provision.control_plane import ControlPlane
from threeplanes.provision.etcd import Etcd, from_apiserver_flags
from threeplanes.provision.nodes import Node, default_nodes, node_manifest
from threeplanes.provision.paths import CLUSTER_NAME, kubectl_binary
from threeplanes.provision.ports import HeldPorts, free_ports, stop_holding
from threeplanes.provision.say import log
from threeplanes.versions import pinned

__all__ = ["Local", "SecondApiserver", "ProcessInfo", "kubectl_binary"]

KWOKCTL_CONFIG = paths.CLUSTER_CONFIGS / "kwokctl.yaml"
KWOKCTL_MARGIN_S = 60  # kwokctl's own --wait, plus this, bounds a `kwokctl create cluster`
REAL_NODE_ADDRESS_TYPES = "kubelet-preferred-address-types=InternalIP,Hostname"
# The ports of the components this process stopped, by (cluster folder, component), until it starts them again.
_HELD: dict[tuple[str, str], HeldPorts] = {}
SECOND_PREFIX = "/threeplanes-second"  # under which every second API server keeps its objects


@dataclass
class ProcessInfo:
    name: str
    pid: int
    running: bool


def flags_of(record: dict) -> dict[str, str]:
    """``{flag: value}`` of the command line in kwokctl's ``record`` of a component."""
    pairs = (a.removeprefix("--").partition("=") for a in record.get("args", []))
    return {k: v for k, _, v in pairs}


@dataclass(frozen=True)
class Local(ControlPlane):
    """A control plane of processes on this machine, started by ``kwokctl --runtime binary``.

    ``workdir`` is kwokctl's working folder (``KWOK_WORKDIR``): the cluster lives in
    ``<workdir>/clusters/<name>``, and two values with different names or working folders are two
    clusters, each on free ports of its own. ``config`` is a kwokctl configuration file (None:
    kwokctl's defaults); ``extra_flags`` adds ``{component: {flag: value}}`` to the components'
    command lines. ``nodes`` are the simulated nodes registered once the control plane is up,
    ``metrics_server`` adds metrics-server, and ``real_node`` the one real worker node (the book's
    cluster alone has it: there is one per machine). ``folder`` keeps the files that are its own,
    not kwokctl's: its kubeconfig, the log of its start and any second API server (default
    ``<workdir>/<name>``).
    """

    backend = "local"

    name: str
    workdir: Path
    config: Path | None = None
    extra_flags: Mapping[str, Mapping[str, str]] = field(default_factory=lambda: MappingProxyType({}))
    real_node: bool = False
    nodes: tuple[Node, ...] = ()
    metrics_server: bool = False
    folder: Path | None = None

    @classmethod
    def book(cls, context: str | None = None) -> Local:
        """The book's cluster: today's paths (``<cache>/kwok/clusters/threeplanes``, ``<cache>/kubeconfig``),
        ``cluster/kwokctl.yaml``, three simulated workers, metrics-server and the real node."""
        return cls(
            CLUSTER_NAME,
            paths.kwok_workdir(),
            KWOKCTL_CONFIG,
            real_node=True,
            nodes=tuple(default_nodes()),
            metrics_server=True,
            folder=paths.cache_root(),
        )

    # --- where its files are ----------------------------------------------------------------------

    def cluster_dir(self) -> Path:
        """kwokctl's folder of this cluster: its record (``kwok.yaml``), binaries, PKI, pid files and logs."""
        return self.workdir / "clusters" / self.name

    def own_folder(self) -> Path:
        return self.folder if self.folder is not None else self.workdir / self.name

    @property
    def kubeconfig(self) -> Path:
        """Its kubeconfig; written by ``up``, never into ``~/.kube/config``."""
        return self.own_folder() / "kubeconfig"

    def create_log(self) -> Path:
        """What the last ``kwokctl create cluster`` said."""
        return self.own_folder() / "kwokctl-create.log"

    def started_config(self) -> Path:
        """The copy of ``config`` the running cluster was started with."""
        return self.cluster_dir() / "threeplanes-kwokctl.yaml"

    def second_apiservers_dir(self) -> Path:
        return self.own_folder() / "second-apiservers"

    def env(self) -> dict[str, str]:
        # kwokctl reads KWOK_METRICS_SERVER_VERSION before its configuration's metricsServerVersion
        # (pkg/config/vars.go), so versions.toml stays the one place metrics-server is pinned.
        return {
            **os.environ,
            "KWOK_WORKDIR": str(self.workdir),
            "KWOK_METRICS_SERVER_VERSION": f"v{pinned().metrics_server}",
        }

    # --- its processes ----------------------------------------------------------------------------

    def _component_processes(self) -> dict[str, psutil.Process]:
        """The cluster's live component processes by name: those its pid files name (checked to be
        the very processes started, see ``process_control.from_pid_file``), and any other process running
        a binary from the cluster's directory (one started just before a ``kwokctl create`` was stopped)."""
        found: dict[str, psutil.Process] = {}
        for pid_file in sorted((self.cluster_dir() / "pids").glob("*.pid")):
            process = process_control.from_pid_file(pid_file, self.cluster_dir())
            if process is not None:
                found[pid_file.stem] = process
        known = {p.pid for p in found.values()}
        for process in process_control.running_from(self.cluster_dir()):
            if process.pid not in known:
                name = Path((process.info.get("cmdline") or ["?"])[0]).name
                found[name if name not in found else f"{name}-{process.pid}"] = process
        return found

    def processes(self) -> list[ProcessInfo]:
        """The component processes of the cluster, as pid files name them, with whether each still runs."""
        live = self._component_processes()
        listed = []
        for pid_file in sorted((self.cluster_dir() / "pids").glob("*.pid")):
            try:
                pid = int(pid_file.read_text().strip())
            except (ValueError, OSError):
                continue
            listed.append(ProcessInfo(pid_file.stem, pid, pid_file.stem in live and live[pid_file.stem].pid == pid))
        listed += [ProcessInfo(name, p.pid, True) for name, p in live.items() if name not in {i.name for i in listed}]
        return listed

    def left_running(self) -> list[str]:
        return [f"{p.name} (pid {p.pid})" for p in self.processes() if p.running]

    # --- is it up? ----------------------------------------------------------------------------------

    def started_with_this_config(self) -> bool:
        """False when the configuration changed since the cluster was started (a reader who updates the
        book keeps an old cluster running): its labs would meet the old settings."""
        if self.config is None:
            return True
        copy = self.started_config()
        return copy.is_file() and copy.read_bytes() == self.config.read_bytes()

    def outdated(self) -> str | None:
        if self.started_with_this_config():
            return None
        return f"runs with an older {self.config.name} than the book's"

    def is_running(self, patience: float = 60) -> bool:
        """True when the cluster's kube-apiserver answers ``/readyz``.

        A kube-apiserver process that is alive but slow to answer (a machine busy with tests) is asked
        again for up to ``patience`` seconds: taken for dead, its cluster would be removed and started
        afresh under the runs that use it.
        """
        if not self.kubeconfig.exists():
            return False
        deadline = time.monotonic() + patience
        while True:
            try:
                if self._kubectl(["get", "--raw", "/readyz", "--request-timeout=3s"], timeout=10).strip() == "ok":
                    return True
            except ProvisioningError:
                pass
            alive = any(p.name == "kube-apiserver" and p.running for p in self.processes())
            if not alive or time.monotonic() > deadline:
                return False
            time.sleep(1)

    def _kubectl(self, args: list[str], timeout: float, stdin: str | None = None) -> str:
        """Run kubectl against this cluster; a failure raises with kubectl's own words."""
        return kubectl_runner.run_kubectl(args, kubeconfig=self.kubeconfig, timeout=timeout, input=stdin).stdout

    # --- up -----------------------------------------------------------------------------------------

    def up(self, timeout: float = 120.0) -> Path:
        """Start the cluster unless it already runs; return its kubeconfig path."""
        if self.is_running():
            log("cluster", f"the local cluster {self.name} is already running; kubeconfig: {self.kubeconfig}")
            self.complete()
            return self.kubeconfig
        if self.cluster_dir().exists():
            log("cluster", f"a stopped local cluster {self.name} was left behind; removing it first")
            self.down()

        found = binaries.ensure_all()
        if self.metrics_server:
            self._seed_metrics_server_manifest()
        try:
            path = self._start(found, timeout)
        except ProvisioningError as error:
            # A component that lost the race with a starting kube-apiserver exits and is not
            # restarted by kwokctl (metrics-server does this on a loaded machine): start once more.
            log("cluster", f"the cluster did not come up ({error}); stopping it and starting again")
            self.down()
            path = self._start(found, timeout)
        self.complete()
        return path

    def complete(self) -> None:
        if self.real_node:
            self.start_real_node()

    def start_real_node(self) -> None:
        """Add the one real worker node where the machine allows; otherwise one line says why not."""
        if realnode.node_running():
            return
        components = self.cluster_dir() / "kwok.yaml"
        if components.is_file() and REAL_NODE_ADDRESS_TYPES not in components.read_text():
            log(
                "real-node",
                "no real node: the running control plane was started without the API server flags the real node "
                f"needs (see {components}); `make cluster-down && make cluster` starts one with them",
            )
            return
        realnode.start_if_possible(self.kubeconfig, self.cluster_dir() / "pki")

    def _flags(self) -> dict[str, dict[str, str]]:
        """``{component: {flag: value}}`` added to what kwokctl gives each component."""
        added = {component: dict(flags) for component, flags in self.extra_flags.items()}
        if self.real_node:
            pki = self.cluster_dir() / "pki"
            apiserver = added.setdefault("kube-apiserver", {})
            # The API server presents kwokctl's admin certificate to kubelets, so that `kubectl logs` and
            # `exec` reach the real node's kubelet (which trusts the same CA); kwokctl sets no such flags.
            apiserver["kubelet-client-certificate"] = str(pki / "admin.crt")
            apiserver["kubelet-client-key"] = str(pki / "admin.key")
            # The real node is reached at its InternalIP; kwok's nodes have only a Hostname (localhost). The
            # default order tries Hostname first, and a lookup of the real node's name would leave the machine.
            flag, _, value = REAL_NODE_ADDRESS_TYPES.partition("=")
            apiserver[flag] = value
        return added

    def create_command(self, found: dict[str, Path], timeout: float) -> list[str]:
        """The ``kwokctl create cluster`` command line that starts this cluster with the ``found`` binaries."""
        args = [str(found["kwokctl"])]
        if self.config is not None:
            args += ["--config", str(self.config)]
        args += ["create", "cluster", "--name", self.name, "--runtime", "binary"]
        args += ["--kubeconfig", str(self.kubeconfig)]
        for component in ("kube-apiserver", "kube-controller-manager", "kube-scheduler"):
            args += [f"--{component}-binary", str(found[component])]
        args += ["--kwok-controller-binary", str(found["kwok"]), "--etcd-binary", str(found["etcd"])]
        if self.metrics_server:
            args += ["--enable-metrics-server", "--metrics-server-binary", str(found["metrics-server"])]
        args += ["--wait", f"{int(timeout)}s"]
        for component, flags in self._flags().items():
            for flag, value in flags.items():
                args += ["--extra-args", f"{component}={flag}={value}"]
        return args

    def _start(self, found: dict[str, Path], timeout: float) -> Path:
        started = time.monotonic()
        log(
            "cluster",
            f"starting the control plane {self.name}: etcd, kube-apiserver, kube-controller-manager, kube-scheduler, "
            f"kwok{' and metrics-server' if self.metrics_server else ''}",
        )
        self.own_folder().mkdir(parents=True, exist_ok=True)
        log_path = self.create_log()
        try:
            with create_lock(timeout), open(log_path, "w") as log_file:
                result = process_control.run(
                    self.create_command(found, timeout),
                    env=self.env(),
                    stdout=log_file,
                    stderr=process_control.STDOUT,
                    timeout=timeout + KWOKCTL_MARGIN_S,
                    what=f"`kwokctl create cluster` (log: {log_path})",
                    check=False,  # its own output is in the log, whose tail the error below quotes
                )
        except ProvisioningError:
            self.down()  # what it started before its deadline is stopped too
            raise
        if result.returncode != 0:
            tail = "\n".join(log_path.read_text().splitlines()[-15:])
            self.down()
            raise ProvisioningError(
                f"kwokctl could not start the cluster {self.name} (exit {result.returncode}); log: {log_path}\n{tail}"
            )
        log("cluster", f"control plane up in {time.monotonic() - started:.1f} s")
        if self.config is not None:
            shutil.copyfile(self.config, self.started_config())

        if self.nodes:
            self._kubectl(["apply", "-f", "-"], stdin=node_manifest(list(self.nodes)), timeout=60)
            wait = ["wait", "--for=condition=Ready", "node", "--all", f"--timeout={int(timeout)}s"]
            self._kubectl(wait, timeout=timeout + 10)
        if self.metrics_server:
            # Until metrics-server answers, namespace deletion stalls on the unavailable metrics API.
            available = ["wait", "--for=condition=Available", "apiservice/v1beta1.metrics.k8s.io", "--timeout=60s"]
            self._kubectl(available, timeout=70)
        seconds = time.monotonic() - started
        log("cluster", f"cluster {self.name} ready in {seconds:.1f} s; kubeconfig: {self.kubeconfig}")
        return self.kubeconfig

    def _seed_metrics_server_manifest(self) -> None:
        """Put metrics-server's manifest where kwokctl looks before it downloads it.

        kwokctl keeps fetched manifests under ``<workdir>/cache/manifest/<sha256 of the URL>.yaml``.
        Seeding that file lets the cluster start where the release downloads are unreachable.
        """
        version = binaries.component_named("metrics-server").version
        url = binaries.metrics_server_manifest_url(version)
        cached = self.workdir / "cache" / "manifest" / f"{hashlib.sha256(url.encode()).hexdigest()}.yaml"
        if not cached.exists():
            cached.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(binaries.metrics_server_manifest(kubectl_binary()), cached)

    # --- down ---------------------------------------------------------------------------------------

    def down(self) -> list[str]:
        """Stop every process of the cluster (and of the real node, if it has it) and remove their state;
        return what was stopped, one phrase each."""
        stopped: list[str] = []
        if self.real_node:
            stopped += [f"stopped the real node's {name}" for name in realnode.stop_node(self.kubeconfig).processes]
        stopped += [f"stopped {p.name} (pid {p.pid})" for p in self.processes() if p.running]
        for key in [k for k in _HELD if k[0] == str(self.cluster_dir())]:
            _HELD.pop(key).release()
        kwokctl = binaries.installed("kwokctl")
        if kwokctl is not None and self.cluster_dir().exists():
            delete = [str(kwokctl), "delete", "cluster", "--name", self.name, "--kubeconfig", str(self.kubeconfig)]
            try:
                process_control.run(delete, env=self.env(), capture_output=True, timeout=120)
            except ProvisioningError as error:
                log("cluster", f"{error} Stopping the processes one by one.")
        left = process_control.stop(self._component_processes().values())
        if left:
            raise ProvisioningError(
                f"these processes of the cluster {self.name} survived SIGKILL: "
                + ", ".join(f"{p.pid}" for p in left)
                + "; stop them by hand, then run `make cluster-down` again."
            )
        if self.cluster_dir().exists():
            shutil.rmtree(self.cluster_dir(), ignore_errors=True)
        self.kubeconfig.unlink(missing_ok=True)
        return stopped

    # --- one component at a time ---------------------------------------------------------------------

    def component(self, name: str) -> dict | None:
        """kwokctl's record of one component (binary, args, ports), or None."""
        for found in self._records():
            if found.get("name") == name:
                return found
        return None

    def _records(self) -> list[dict]:
        path = self.cluster_dir() / "kwok.yaml"
        if not path.is_file():
            return []
        return [c for document in yaml.safe_load_all(path.read_text()) for c in (document or {}).get("components", [])]

    def _record(self, name: str) -> dict:
        """kwokctl's record of ``name``; a clear error for a cluster not started or a name it has no component of."""
        records = self._records()
        if not records:
            raise ProvisioningError(f"the local control plane {self.name} is not started (no {self.cluster_dir()}).")
        for found in records:
            if found.get("name") == name:
                return found
        known = ", ".join(r.get("name", "?") for r in records)
        raise ProvisioningError(f"the control plane {self.name} has no component {name!r}; it has {known}.")

    def components(self) -> list[str]:
        return [r["name"] for r in self._records()]

    def flags(self, name: str) -> dict[str, str]:
        return flags_of(self._record(name))

    def _program(self, name: str) -> str:
        # kwokctl names a component's pid file and log after its binary (pkg/utils/exec ForkExec).
        return Path(self._record(name)["binary"]).name

    def log_file(self, name: str) -> Path:
        return self.cluster_dir() / "logs" / f"{self._program(name)}.log"

    def log(self, name: str) -> str:
        path = self.log_file(name)
        return path.read_text(errors="replace") if path.is_file() else ""

    def _process(self, name: str) -> psutil.Process | None:
        return self._component_processes().get(self._program(name))

    def component_running(self, name: str) -> bool:
        return self._process(name) is not None

    def stop_component(self, name: str) -> bool:
        """Stop one component; True when it was running. This process holds its ports while it is stopped
        (``threeplanes.provision.ports``: a cluster created meanwhile on the machine would take them), and
        ``start_component`` lets them go."""
        process = self._process(name)
        if process is None:
            return False
        ports = [int(p["port"]) for p in self._record(name).get("ports") or []]

        def stop() -> None:
            if process_control.stop([process]):
                raise ProvisioningError(
                    f"{name} of the control plane {self.name} (pid {process.pid}) survived SIGKILL."
                )

        _HELD[(str(self.cluster_dir()), name)] = stop_holding(stop, ports, f"{name} of the control plane {self.name}")
        return True

    def release_ports(self, name: str) -> None:
        """Let go of the ports held since ``stop_component(name)``: a program other than the component is to
        listen there (an etcd restored from a snapshot, started by hand on the same ports)."""
        held = _HELD.pop((str(self.cluster_dir()), name), None)
        if held is not None:
            held.release()

    def start_component(self, name: str, listen_timeout: float = 30) -> bool:
        """Start one component stopped by ``stop_component``; True when it was not running.

        Between the moment its held ports are let go and the moment it listens on them, a cluster created
        on the machine could take them: the start holds the machine's ``kwokctl create`` lock until the
        component listens on its ports (or ``listen_timeout`` has passed; what it does then is the caller's
        to wait for)."""
        record = self._record(name)
        if self._process(name) is not None:
            return False
        ports = {int(p["port"]) for p in record.get("ports") or []}
        program = self._program(name)
        pids, logs = self.cluster_dir() / "pids", self.cluster_dir() / "logs"
        envs = {e["name"]: e.get("value", "") for e in record.get("envs") or []}
        with create_lock(listen_timeout):
            self.release_ports(name)
            started = process_control.start(program, [record["binary"], *record.get("args", [])], pids, logs, env=envs)
            # kwokctl's own pid file names the new process, so that `kwokctl delete cluster` and ``processes`` find it.
            (pids / f"{program}.pid").write_text(str(started.pid))
            deadline = time.monotonic() + listen_timeout
            while time.monotonic() < deadline and started.running:
                if ports <= set(process_control.listening_ports([p for p in [started.process()] if p])):
                    break
                time.sleep(0.05)
        return True

    def restart_component(self, name: str, flags: Mapping[str, str] | None = None) -> None:
        """Stop ``name`` and start it again; ``flags`` (``{flag: value}``) first replaces or adds those flags of
        its command line in kwokctl's record, so that ``flags(name)`` and a later ``kwokctl start`` see them."""
        self.stop_component(name)
        if flags:
            self._change_flags(name, flags)
        self.start_component(name)

    def _change_flags(self, name: str, changed: Mapping[str, str]) -> None:
        path = self.cluster_dir() / "kwok.yaml"
        documents = list(yaml.safe_load_all(path.read_text()))
        for document in documents:
            for record in (document or {}).get("components", []):
                if record.get("name") == name:
                    kept = [a for a in record.get("args", []) if a.removeprefix("--").partition("=")[0] not in changed]
                    record["args"] = kept + [f"--{flag}={value}" for flag, value in changed.items()]
        path.write_text(yaml.safe_dump_all(documents, sort_keys=False))

    # --- one more API server beside this one's ---------------------------------------------------------

    def start_second_apiserver(
        self, name: str, files: dict[str, str], flags: dict[str, str], timeout: float = 60
    ) -> SecondApiserver:
        """Start a kube-apiserver beside this cluster's, with ``flags`` added to or replacing its own.

        It runs the same binary with the same certificates and the same etcd, on a port of its own
        and under the etcd prefix ``/threeplanes-second/<name>``, so that no object of the cluster is
        visible to it, nor any of its objects to the cluster. ``files`` (``{file name: text}``) are
        written into a private folder first, and ``{folder}`` in a flag's value names it. The server
        stops when the Python process that started it exits; ``stop`` also deletes what it stored,
        and a later start deletes what a server stopped without ``stop`` left.
        """
        record = self.component("kube-apiserver")
        if record is None:
            raise ProvisioningError("no local cluster was started on this machine (make cluster BACKEND=local).")
        own = flags_of(record)
        base = from_apiserver_flags(own)
        for left in self.second_apiservers_dir().glob("*"):
            second = SecondApiserver("", dataclasses.replace(base, prefix=f"{SECOND_PREFIX}/{left.name}"), left)
            if not second.running:
                second.stop()
        folder = self.second_apiservers_dir() / name
        folder.mkdir(parents=True, mode=0o700)
        for file_name, text in files.items():
            (folder / file_name).write_text(text)
            (folder / file_name).chmod(0o600)
        port = free_ports(1)[0]
        own.update({"secure-port": str(port), "etcd-prefix": f"{SECOND_PREFIX}/{name}"})
        own.update({k: v.format(folder=folder) for k, v in flags.items()})
        command = [record["binary"], *(f"--{k}={v}" for k, v in own.items())]
        started = process_control.start("kube-apiserver", command, folder, folder, die_with_parent=True)
        second = SecondApiserver(f"https://127.0.0.1:{port}", from_apiserver_flags(own), folder)
        pki = self.cluster_dir() / "pki"
        deadline = time.monotonic() + timeout
        while not _ready(second.server, pki):
            if not started.running or time.monotonic() > deadline:
                tail = "\n".join(started.log.read_text().splitlines()[-10:])
                second.stop()
                raise ProvisioningError(f"the second kube-apiserver did not become ready within {timeout:g} s:\n{tail}")
            time.sleep(0.2)
        return second


@dataclass
class SecondApiserver:
    """A kube-apiserver that shares a local cluster's etcd and certificates, and nothing else."""

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


@contextlib.contextmanager
def create_lock(timeout: float) -> Iterator[None]:
    """Held by one ``kwokctl create cluster`` at a time on this machine, whatever its cluster.

    kwokctl gives every port left at 0 the first one below 32767 that nobody listens on at that moment
    (pkg/utils/net GetUnusedPort), so two clusters created at once pick the same ports, and one API
    server can end up on the other's etcd. One at a time, each finds the ports of those before it taken.
    """
    paths.cache_root().mkdir(parents=True, exist_ok=True)
    waited = 2 * (timeout + KWOKCTL_MARGIN_S)
    try:
        with FileLock(paths.cache_root() / "kwokctl-create.lock", timeout=waited):
            yield
    except Timeout:
        raise ProvisioningError(
            f"another `kwokctl create cluster` on this machine did not finish within {waited:g} s; try again."
        ) from None


def _ready(server: str, pki: Path) -> bool:
    context = ssl.create_default_context(cafile=str(pki / "ca.crt"))
    context.load_cert_chain(str(pki / "admin.crt"), str(pki / "admin.key"))
    try:
        with urllib.request.urlopen(f"{server}/readyz", timeout=2, context=context) as reply:
            return reply.read().strip() == b"ok"
    except (urllib.error.URLError, OSError):
        return False
