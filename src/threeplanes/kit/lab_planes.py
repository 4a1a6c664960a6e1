"""A control plane of a lab's own: the book's binaries on free loopback ports, removed when the run ends.

A lab that stops etcd, the scheduler or the controller manager, or starts the API server with an
audit or admission policy, must not do it to the book's cluster, which other labs and the reader's
exercises use at the same moment. ``lab_control_plane`` starts a ``Local`` of the lab's own in a
folder of the run's (``<cache>/lab-planes/<host-pid-start>/<lab>-<suffix>``): etcd, kube-apiserver,
kube-controller-manager, kube-scheduler and kwok's controller, with the simulated nodes asked for.

It goes away three ways: ``LabPlane.remove()`` (the lab's clean-up cell: stops every process,
removes every file); at the exit of the process that started it (a notebook kernel that fails half
way: every process killed at once, the folder removed); and, for a process that was killed and ran
no exit code, by the next ``lab_control_plane`` or the test session's end, which remove what the
runs that are gone left (``clear_gone_planes``).

A lab that stops a node's agents for real asks for a real node of its own:
``lab_control_plane(lab, real_node=True)`` starts the API server on every address (the node reaches it
through a veth pair) and joins ``LabPlane.real_node``, containerd, the kubelet and kube-proxy in a
network namespace of their own (``threeplanes.provision.realnode.labnode``). Nothing of it is the
book's real node's. It goes away with the plane, first, the same three ways; its folder lies under
``<cache>/lab-nodes/<host-pid-start>/``.
"""

from __future__ import annotations

import atexit
import contextlib
import secrets
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import psutil

from threeplanes.errors import LabError
from threeplanes.kit.connect import Cluster
from threeplanes.kit.control_plane import Local, Node, connect_to
from threeplanes.kit.namespaces import (
    clear_gone_runs_in,
    gone_run_folders,
    left_by_gone_runs_in,
    run_folder_name,
    this_run,
)
from threeplanes.kit.wait import wait_for
from threeplanes.provision import paths, processes
from threeplanes.provision.local import KWOKCTL_CONFIG
from threeplanes.provision.realnode import labnode
from threeplanes.provision.realnode.labnode import LabNode

__all__ = [
    "LabNode",
    "LabPlane",
    "clear_gone_planes",
    "lab_control_plane",
    "left_by_gone_planes",
    "nodes_root",
    "planes_root",
]

# What the API server needs for a lab's own real node: to listen where the node's veth reaches it, to reach the
# kubelet at its InternalIP, and a client certificate the kubelet trusts (for logs, exec and the node proxy).
REAL_NODE_APISERVER_FLAGS = {
    "bind-address": "0.0.0.0",
    "kubelet-preferred-address-types": "InternalIP,Hostname",
}


def planes_root() -> Path:
    """Where every run's folder of lab control planes lies."""
    return paths.cache_root() / "lab-planes"


def nodes_root() -> Path:
    """Where every run's folder of lab real nodes lies."""
    return paths.cache_root() / "lab-nodes"


@dataclass
class LabPlane:
    """A running control plane of a lab's own: ``plane`` (its components, flags, logs), ``cluster`` (a connection)."""

    lab: str
    plane: Local
    cluster: Cluster
    nodes: list[LabNode] = field(default_factory=list)

    @property
    def folder(self) -> Path:
        return self.plane.workdir

    @property
    def real_node(self) -> LabNode:
        """The plane's own real node (``lab_control_plane(..., real_node=True)``)."""
        if not self.nodes:
            raise LabError(f"the control plane of {self.lab} has no real node: start it with real_node=True.")
        return self.nodes[0]

    def add_real_node(
        self, name: str = labnode.LAB_NODE_NAME, kube_proxy: bool = True, timeout: float = 180
    ) -> LabNode:
        """Join a real node of the lab's own (containerd, kubelet and, if asked, kube-proxy) and wait for it Ready."""
        flags = self.plane.flags("kube-apiserver")
        wrong = {k: v for k, v in REAL_NODE_APISERVER_FLAGS.items() if flags.get(k) != v}
        if self.plane.flags("kwok-controller").get("manage-all-nodes", "true") != "false":
            wrong["manage-all-nodes"] = "false (kwok's)"
        if wrong:
            raise LabError(
                f"the control plane of {self.lab} was started without the API server flags a real node needs "
                f"({', '.join(f'--{k}={v}' for k, v in wrong.items())}): start it with real_node=True."
            )
        folder = nodes_root() / run_folder_name(this_run()) / f"{self.folder.name}-{len(self.nodes)}"
        atexit.register(_remove_node_folder, folder)
        node = labnode.start_lab_node(
            folder,
            self.plane.kubeconfig,
            self.plane.cluster_dir() / "pki",
            name=name,
            kube_proxy=kube_proxy,
            timeout=timeout,
        )
        self.nodes.append(node)
        return node

    def remove(self) -> list[str]:
        """Stop every process of its real nodes and of the control plane and remove their folders; return what was
        stopped."""
        stopped = []
        for node in self.nodes:
            stopped += [f"stopped {node.name}'s {name}" for name in node.remove()]
            _remove_if_empty(node.folder.parent)
        self.nodes.clear()
        stopped += self.plane.down()
        shutil.rmtree(self.folder, ignore_errors=True)
        _remove_if_empty(self.folder.parent)
        return stopped

    def __enter__(self) -> LabPlane:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.remove()


def lab_control_plane(
    lab: str,
    *,
    nodes: tuple[Node, ...] = (),
    extra_flags: Mapping[str, Mapping[str, str]] = MappingProxyType({}),
    config: Path | None = None,
    timeout: float = 120,
    real_node: bool = False,
    kube_proxy: bool = True,
) -> LabPlane:
    """Start a control plane for ``lab`` (its file's stem) and return it, connected; see the module's text.

    ``extra_flags`` adds ``{component: {flag: value}}`` to the components' command lines (an audit
    policy, an admission configuration); ``nodes`` are simulated nodes kwok keeps Ready; ``real_node``
    joins a real node of the lab's own (``LabPlane.real_node``), with kube-proxy unless ``kube_proxy`` is False;
    its plane then starts with the book's kwokctl configuration unless ``config`` says otherwise.
    """
    clear_gone_planes()
    workdir = planes_root() / run_folder_name(this_run()) / f"{lab}-{secrets.token_hex(3)}"
    if real_node:
        # The book's kwokctl configuration, whose kwok acts only for nodes labelled as simulated: kwokctl's
        # default kwok manages every node, and would answer for the real node's kubelet.
        config = config if config is not None else KWOKCTL_CONFIG
        pki = workdir / "clusters" / lab / "pki"
        apiserver = {
            **REAL_NODE_APISERVER_FLAGS,
            "kubelet-client-certificate": str(pki / "admin.crt"),
            "kubelet-client-key": str(pki / "admin.key"),
            **extra_flags.get("kube-apiserver", {}),
        }
        extra_flags = {**extra_flags, "kube-apiserver": apiserver}
    plane = Local(lab, workdir, config=config, extra_flags=extra_flags, nodes=nodes)
    atexit.register(_kill, plane)
    try:
        plane.up(timeout=timeout)
        cluster = connect_to(plane, timeout=30)
        # A namespace gets the ServiceAccount its pods run as from the controller manager, a moment after the
        # plane answers: until that controller runs, a pod created in a new namespace is refused.
        wait_for(
            cluster.core.list_namespaced_service_account,
            lambda accounts: any(a.metadata.name == "default" for a in accounts),
            what="the ServiceAccount controller to give the namespace default its ServiceAccount",
            describe=lambda accounts: f"{len(accounts)} ServiceAccount(s) in default",
            timeout=timeout,
            namespace="default",
        )
    except BaseException:
        _kill(plane)
        raise
    own = LabPlane(lab, plane, cluster)
    if real_node:
        try:
            own.add_real_node(kube_proxy=kube_proxy, timeout=timeout + 60)
        except BaseException:
            own.remove()
            raise
    return own


def _remove_node_folder(folder: Path) -> None:
    """At exit: whatever of the node in ``folder`` is still there goes (nothing when the lab removed it)."""
    with contextlib.suppress(Exception):
        labnode.remove_left(folder)
    _remove_if_empty(folder.parent)


def _kill(plane: Local) -> None:
    """At exit, or when the start failed: kill every process at once (its data is thrown away), remove the folder."""
    with contextlib.suppress(Exception):
        processes.stop(processes.running_from(plane.workdir), grace=0.5)
    shutil.rmtree(plane.workdir, ignore_errors=True)
    _remove_if_empty(plane.workdir.parent)


def _remove_if_empty(folder: Path) -> None:
    with contextlib.suppress(OSError):
        folder.rmdir()


def _members(folder: Path) -> list[tuple[str, list[psutil.Process]]]:
    """The live processes whose program lies in a plane's folder (kwokctl copies the binaries there)."""
    return [(Path(p.info["cmdline"][0]).name, [p]) for p in processes.running_from(folder)]


def lab_nodes_in(folder: Path) -> list[Path]:
    """The folders of the lab nodes recorded under ``folder`` (a mission's, which may join one to its plane)."""
    return sorted(state.parent for state in folder.rglob(labnode.STATE_FILE))


def left_by_lab_nodes_in(folder: Path) -> list[str]:
    """What the lab nodes recorded under ``folder`` still have: processes, pods' mounts, network namespace."""
    return [item for node in lab_nodes_in(folder) for item in labnode.left_in(node)]


def remove_lab_nodes_in(folder: Path) -> list[str]:
    """Stop and remove the lab nodes recorded under ``folder``; return what was stopped."""
    return [f"{node.name}'s {name}" for node in lab_nodes_in(folder) for name in labnode.remove_left(node)]


def left_by_gone_planes(started_after: float = 0) -> list[str]:
    """What runs that are gone (and began after ``started_after``) left of their control planes and real nodes."""
    left = []
    for run in gone_run_folders(nodes_root(), started_after):
        for folder in sorted(run.iterdir()):
            left += labnode.left_in(folder)
        left.append(f"folder {run}")
    return left + left_by_gone_runs_in(planes_root(), _members, started_after)


def clear_gone_planes() -> list[str]:
    """Stop and remove the real nodes and control planes of the runs that are gone; return what was cleared."""
    cleared = []
    for run in gone_run_folders(nodes_root()):
        for folder in sorted(run.iterdir()):
            cleared += [f"{folder.name}'s {name}" for name in labnode.remove_left(folder)]
        shutil.rmtree(run, ignore_errors=True)
        cleared.append(f"folder {run}")
    return cleared + clear_gone_runs_in(planes_root(), _members, grace=2)
