"""The real node's container runtime, read with its own client and from the kernel's files.

``Crictl`` runs the pinned ``crictl`` against the real node's containerd (its CRI socket) with a
deadline and returns what it printed, as text or decoded JSON; ``in_namespace`` filters its
listings to one Kubernetes namespace by the label the kubelet puts on every pod sandbox.

A running container is, on the node, a process: ``cmdline`` and ``namespaces`` read its
``/proc`` entries, ``parse_cgroups`` its ``/proc/<pid>/cgroup`` (cgroups v1: one path per
controller), and ``read_limits`` the memory and CPU limits written in those cgroups' files.
``expected_limits`` computes what the kubelet writes there for a container's resources, with the
kubelet's own conversions (``pkg/kubelet/cm/helpers_linux.go``).

The kubelet keeps each container's output in a file of its pod log folder (``podLogsDir`` in its
configuration, ``/var/log/pods`` by default), one line per write in the CRI logging format;
``kubelet_configuration`` reads the real kubelet's configuration file and ``pod_logs_dir`` the
folder it names (``threeplanes.system.logs`` reads the files themselves).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from threeplanes.errors import LabError, NotOnThisCluster
from threeplanes.kit.control_plane import (
    component_binary,
    real_node_processes,
    real_node_runtime_endpoint,
    run_program,
)
from threeplanes.kit.resources import millicores
from threeplanes.system.logs import DEFAULT_POD_LOGS_DIR, kubelet_config_path

# The label the kubelet sets on every pod sandbox it asks the runtime for, naming the pod's namespace.
POD_NAMESPACE_LABEL = "io.kubernetes.pod.namespace"
CGROUP_V1_ROOT = Path("/sys/fs/cgroup")

# The kubelet's CPU conversions for cgroups v1 (pkg/kubelet/cm/helpers_linux.go).
SHARES_PER_CPU = 1024
MIN_SHARES = 2
QUOTA_PERIOD_US = 100_000
MIN_QUOTA_US = 1_000


@dataclass(frozen=True)
class Crictl:
    """The pinned ``crictl``, talking to the CRI endpoint ``endpoint``; each call gives up after ``timeout`` s."""

    binary: Path
    endpoint: str
    timeout: float = 30

    @classmethod
    def of_real_node(cls) -> Crictl:
        """crictl for the real node's containerd."""
        return cls(component_binary("crictl"), real_node_runtime_endpoint())

    def text(self, *args: str) -> str:
        """What ``crictl <args>`` printed on its standard output (its warnings, on standard error, are dropped)."""
        command = [str(self.binary), "--runtime-endpoint", self.endpoint, *args]
        done = run_program(command, timeout=self.timeout, what=f"`crictl {' '.join(args)}`", capture_output=True)
        return done.stdout

    def json(self, command: str, *args: str) -> Any:
        """The JSON ``crictl <command> -o json <args>`` printed, decoded."""
        return json.loads(self.text(command, "-o", "json", *args))


def in_namespace(namespace: str) -> list[str]:
    """crictl's arguments that keep only the pods (or their containers) of a Kubernetes namespace."""
    return ["--label", f"{POD_NAMESPACE_LABEL}={namespace}"]


def real_node_or_stop(cluster: Any, node_name: str) -> Any:
    """The Node ``node_name`` when it is registered; else ``NotOnThisCluster`` in one sentence."""
    found = cluster.core.list_node(field_selector=f"metadata.name={node_name}").items
    if not found:
        raise NotOnThisCluster(
            f"this lab reads a real container runtime, and this cluster has no node {node_name}: "
            "run `sudo make cluster` on Linux to start the book's cluster with its real node."
        )
    return found[0]


# --- A container as a process ----------------------------------------------------------------


def cmdline(pid: int) -> list[str]:
    """The command line of process ``pid``, as the kernel keeps it (``/proc/<pid>/cmdline``)."""
    return parse_cmdline(Path(f"/proc/{pid}/cmdline").read_bytes())


def parse_cmdline(raw: bytes) -> list[str]:
    """``/proc/<pid>/cmdline``'s bytes (arguments ended by NUL bytes) as a list of arguments."""
    return raw.decode(errors="replace").split("\0")[:-1] if raw else []


def namespaces(pid: int) -> dict[str, str]:
    """Process ``pid``'s Linux namespaces, by type: ``{"net": "net:[4026532313]", ...}``.

    Two processes are in the same namespace of a type when the two links name the same inode.
    """
    folder = Path(f"/proc/{pid}/ns")
    return {entry: os.readlink(folder / entry) for entry in sorted(os.listdir(folder))}


def parse_cgroups(text: str) -> dict[str, str]:
    """``/proc/<pid>/cgroup`` as ``{controller: cgroup path}``.

    Each line is ``hierarchy:controllers:path``; a hierarchy that holds several controllers
    (``cpu,cpuacct``) gives each of them the same path; the cgroups v2 line (``0::path``) is
    named ``unified``, and a named hierarchy (``name=systemd``) keeps its name.
    """
    found = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else ["unified"]:
            found[controller] = path
    return found


def cgroups(pid: int) -> dict[str, str]:
    """Process ``pid``'s cgroup, by controller (see ``parse_cgroups``)."""
    return parse_cgroups(Path(f"/proc/{pid}/cgroup").read_text())


@dataclass(frozen=True)
class Limits:
    """A container's limits as cgroups v1 files hold them."""

    memory_bytes: int  # memory.limit_in_bytes
    cpu_shares: int  # cpu.shares: the CPU request, as a weight
    cpu_quota_us: int  # cpu.cfs_quota_us: the CPU limit, in microseconds per period (-1: none)
    cpu_period_us: int  # cpu.cfs_period_us


def cgroup_file(controller: str, path: str, name: str, root: Path = CGROUP_V1_ROOT) -> Path:
    """The file ``name`` of the cgroup ``path`` in the v1 hierarchy of ``controller``."""
    return root / controller / path.lstrip("/") / name


def read_limits(groups: dict[str, str], root: Path = CGROUP_V1_ROOT) -> Limits:
    """The limits written in the cgroup files of a process whose cgroups are ``groups`` (cgroups v1)."""

    def number(controller: str, name: str) -> int:
        return int(cgroup_file(controller, groups[controller], name, root).read_text())

    return Limits(
        memory_bytes=number("memory", "memory.limit_in_bytes"),
        cpu_shares=number("cpu", "cpu.shares"),
        cpu_quota_us=number("cpu", "cpu.cfs_quota_us"),
        cpu_period_us=number("cpu", "cpu.cfs_period_us"),
    )


def expected_limits(resources: dict[str, dict[str, str]]) -> Limits:
    """What the kubelet writes in cgroups v1 for a container's ``resources`` (requests and limits, as strings).

    Memory: the limit, in bytes. CPU shares: the request (or, without one, the limit) times 1024 per
    CPU, at least 2. CPU quota: the limit's share of a 100 ms period, at least 1 ms; -1 without a limit.
    Only containers with a memory limit are handled.
    """
    from kubernetes.utils import parse_quantity

    limits, requests = resources.get("limits") or {}, resources.get("requests") or {}
    if "memory" not in limits:
        raise LabError("expected_limits needs a container with a memory limit.")
    cpu_request = requests.get("cpu", limits.get("cpu"))
    shares = max(MIN_SHARES, millicores(cpu_request) * SHARES_PER_CPU // 1000) if cpu_request else MIN_SHARES
    quota = max(MIN_QUOTA_US, millicores(limits["cpu"]) * QUOTA_PERIOD_US // 1000) if "cpu" in limits else -1
    return Limits(int(parse_quantity(limits["memory"])), shares, quota, QUOTA_PERIOD_US)


# --- The kubelet's log files -------------------------------------------------------------------


def kubelet_configuration() -> dict[str, Any]:
    """The real kubelet's configuration file (its ``--config``), as it runs now."""
    for recorded in real_node_processes():
        process = recorded.process() if recorded.name == "kubelet" else None
        if process is None:
            continue
        config = kubelet_config_path(process.cmdline())
        if config is not None:
            return yaml.safe_load(config.read_text())
    raise NotOnThisCluster("no kubelet of the real node runs on this machine with a --config file.")


def pod_logs_dir(configuration: dict[str, Any]) -> Path:
    """Where a kubelet with ``configuration`` keeps its pods' logs."""
    return Path(configuration.get("podLogsDir") or DEFAULT_POD_LOGS_DIR)
