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
"""

from __future__ import annotations

import atexit
import contextlib
import secrets
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import psutil

from threeplanes.kit.connect import Cluster
from threeplanes.kit.control_plane import Local, Node, connect_to
from threeplanes.kit.namespaces import clear_gone_runs_in, left_by_gone_runs_in, run_folder_name, this_run
from threeplanes.kit.wait import wait_for
from threeplanes.provision import paths, processes

__all__ = ["LabPlane", "clear_gone_planes", "lab_control_plane", "left_by_gone_planes", "planes_root"]


def planes_root() -> Path:
    """Where every run's folder of lab control planes lies."""
    return paths.cache_root() / "lab-planes"


@dataclass
class LabPlane:
    """A running control plane of a lab's own: ``plane`` (its components, flags, logs), ``cluster`` (a connection)."""

    lab: str
    plane: Local
    cluster: Cluster

    @property
    def folder(self) -> Path:
        return self.plane.workdir

    def remove(self) -> list[str]:
        """Stop every process of the control plane and remove its folder; return what was stopped."""
        stopped = self.plane.down()
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
) -> LabPlane:
    """Start a control plane for ``lab`` (its file's stem) and return it, connected; see the module's text.

    ``extra_flags`` adds ``{component: {flag: value}}`` to the components' command lines (an audit
    policy, an admission configuration); ``nodes`` are simulated nodes kwok keeps Ready.
    """
    clear_gone_planes()
    workdir = planes_root() / run_folder_name(this_run()) / f"{lab}-{secrets.token_hex(3)}"
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
    return LabPlane(lab, plane, cluster)


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


def left_by_gone_planes(started_after: float = 0) -> list[str]:
    """What runs that are gone (and began after ``started_after``) left of their control planes."""
    return left_by_gone_runs_in(planes_root(), _members, started_after)


def clear_gone_planes() -> list[str]:
    """Stop and remove the control planes of the runs that are gone; return what was cleared."""
    return clear_gone_runs_in(planes_root(), _members, grace=2)
