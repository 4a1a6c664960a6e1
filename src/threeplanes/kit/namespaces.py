"""A namespace of the run's own: unique name, common labels, deleted when the run ends.

Each run (a notebook kernel, a test, a reader's session) gets a namespace ``<lab>-<suffix>``
annotated with the process that owns it (host, pid and start time). Before it makes its own,
``lab_namespace`` deletes the namespaces of the same lab whose owning process is gone, and
the cluster-scoped objects made for them: an interrupted earlier run is cleared, while
another live run of the same lab (a reader's open notebook, a parallel test) is left alone.
The namespace is also deleted when the process exits, so a run that fails halfway leaves
nothing behind.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
from kubernetes import client

from threeplanes.kit.cleanup import delete_stale
from threeplanes.kit.connect import Cluster
from threeplanes.kit.deleting import at_exit, ignore_missing
from threeplanes.kit.labels import LAB_LABEL, RUN_OWNER, owned_labels
from threeplanes.kit.wait import wait_for_namespace_gone
from threeplanes.provision import processes


def this_run() -> str:
    """This process, as ``host/pid/start time``: what a namespace's owner annotation holds."""
    started = psutil.Process(os.getpid()).create_time()
    return f"{socket.gethostname()}/{os.getpid()}/{started:.0f}"


def run_is_gone(owner: str | None) -> bool:
    """True when the process named by ``owner`` no longer runs on this host.

    A namespace with no owner predates run ownership and counts as gone; one owned by a process
    on another host cannot be checked from here and counts as live.
    """
    if not owner:
        return True
    try:
        host, pid, started = owner.split("/")
    except ValueError:
        return True
    if host != socket.gethostname():
        return False
    try:
        return abs(psutil.Process(int(pid)).create_time() - float(started)) > 1
    except (psutil.NoSuchProcess, ValueError):
        return True


def run_folder_name(run: str) -> str:
    """A folder name for ``run`` (``host/pid/start time``): ``host-pid-start time``."""
    return run.replace("/", "-")


def run_of_folder(folder: Path) -> str:
    """The run a folder named by ``run_folder_name`` belongs to (a host name may hold dashes; a PID and a time
    do not)."""
    return "/".join(folder.name.rsplit("-", 2))


def gone_run_folders(root: Path, started_after: float = 0) -> Iterator[Path]:
    """The folders under ``root`` named after runs (``run_folder_name``) that are gone and began after
    ``started_after``."""
    for folder in sorted(root.iterdir()) if root.is_dir() else []:
        owner = run_of_folder(folder)
        if not folder.is_dir() or not run_is_gone(owner):
            continue
        with contextlib.suppress(ValueError):
            if float(owner.rsplit("/", 1)[-1]) < started_after:
                continue
        yield folder


# What a run's folder holds that still runs: (a name to report it by, its live processes) pairs.
Members = Callable[[Path], list[tuple[str, list[psutil.Process]]]]


def left_by_gone_runs_in(root: Path, members: Members, started_after: float = 0) -> list[str]:
    """What the gone runs under ``root`` that began after ``started_after`` left: processes, ports, folders."""
    left = []
    for folder in gone_run_folders(root, started_after):
        for name, live in members(folder):
            left += [f"process {p.pid} ({name})" for p in live]
            left += [f"port {port} (held by {name})" for port in processes.listening_ports(live)]
        left.append(f"folder {folder}")
    return left


def clear_gone_runs_in(root: Path, members: Members, grace: float) -> list[str]:
    """Stop what the gone runs under ``root`` left running and remove their folders; return what was cleared."""
    cleared = []
    for folder in gone_run_folders(root):
        for name, live in members(folder):
            processes.stop(live, grace)
            cleared += [f"process {p.pid} ({name})" for p in live]
        shutil.rmtree(folder, ignore_errors=True)
        cleared.append(f"folder {folder}")
    return cleared


def lab_namespaces(cluster: Cluster, lab: str) -> list[Any]:
    """Every namespace of ``lab``, of every run, terminating ones included."""
    return cluster.core.list_namespace(label_selector=f"{LAB_LABEL}={lab}").items


def owner_is_gone(namespace: Any) -> bool:
    """True when the run that owns ``namespace`` (a Namespace object) has ended."""
    return run_is_gone((namespace.metadata.annotations or {}).get(RUN_OWNER))


def delete_gone_runs(cluster: Cluster, lab: str) -> list[str]:
    """Delete (without waiting) the namespaces of ``lab`` whose run is gone, and their cluster-scoped objects."""
    gone = [
        ns.metadata.name
        for ns in lab_namespaces(cluster, lab)
        if ns.status.phase != "Terminating" and owner_is_gone(ns)
    ]
    for name in gone:
        with ignore_missing():
            cluster.core.delete_namespace(name)
    return gone + delete_stale(cluster, lab)


def lab_namespace(cluster: Cluster, lab: str) -> str:
    """Create a fresh namespace ``<lab>-<suffix>`` owned by this process, and return its name."""
    delete_gone_runs(cluster, lab)
    name = f"{lab}-{secrets.token_hex(3)}"
    metadata = client.V1ObjectMeta(name=name, labels=owned_labels(lab), annotations={RUN_OWNER: this_run()})
    cluster.core.create_namespace(client.V1Namespace(metadata=metadata))
    at_exit(cluster.core.delete_namespace, name)
    return name


def delete_namespace(cluster: Cluster, name: str, timeout: float = 120) -> None:
    """Delete a namespace and wait until it is gone (its objects deleted first)."""
    with ignore_missing():
        cluster.core.delete_namespace(name)
    wait_for_namespace_gone(cluster, name, timeout=timeout)
