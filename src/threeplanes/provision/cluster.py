"""One cluster for the book, on the backend that fits the machine.

Each backend is a value of one interface (``threeplanes.provision.control_plane.ControlPlane``):
``CONTROL_PLANES`` lists the kinds, and the book's cluster on a backend is ``plane(backend)``. ``auto``
picks kind where a Docker engine answers and the local control plane elsewhere; ``existing``
(a cluster of the reader's own, named by its context) is never picked by ``auto``. The chosen
backend is remembered beside the kubeconfig so ``down`` and ``status`` act on the cluster that
``up`` started.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock

from threeplanes.errors import ProvisioningError
from threeplanes.provision import existing, kind, kubectl, local, paths
from threeplanes.provision.control_plane import ControlPlane
from threeplanes.provision.nodes import is_simulated, node_ready

CONTROL_PLANES: tuple[type[ControlPlane], ...] = (local.Local, kind.Kind, existing.Existing)
AUTO_ORDER: tuple[type[ControlPlane], ...] = (kind.Kind, local.Local)  # the first that can run here
BACKENDS = ("auto", *(p.backend for p in CONTROL_PLANES))


def plane(backend: str, context: str | None = None) -> ControlPlane:
    """The book's cluster on ``backend`` (``context``: the reader's own cluster, for ``existing``)."""
    for kind_of_plane in CONTROL_PLANES:
        if kind_of_plane.backend == backend:
            return kind_of_plane.book(context)
    raise ProvisioningError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}.")


def choose(requested: str = "auto") -> str:
    if requested not in BACKENDS:
        raise ProvisioningError(f"unknown backend {requested!r}; choose one of {', '.join(BACKENDS)}.")
    if requested != "auto":
        return requested
    return next(p.backend for p in AUTO_ORDER if p.problem() is None)


def recorded_backend() -> str | None:
    """The backend ``up`` last started, as remembered in the cache."""
    path = paths.backend_file()
    return (path.read_text().strip() or None) if path.exists() else None


def running_backend() -> str | None:
    """The backend of the cluster that is running now, if any.

    The book's kubeconfig belongs to the recorded backend: only that backend's cluster is asked
    (the local one when none is recorded).
    """
    recorded = recorded_backend() or local.Local.backend
    if recorded not in BACKENDS[1:]:
        return None
    return recorded if plane(recorded).is_running() else None


def running_plane() -> ControlPlane | None:
    """The book's cluster that is running now, as a value; None when none runs."""
    backend = running_backend()
    return plane(backend) if backend else None


def lock() -> FileLock:
    """Held while a cluster starts or stops, so that two commands at once never take each other's
    half-started cluster for a stale one."""
    paths.cache_root().mkdir(parents=True, exist_ok=True)
    return FileLock(paths.cache_root() / "cluster.lock", timeout=900)


def up(requested: str = "auto", context: str | None = None) -> tuple[Path, bool]:
    """Start the cluster unless one runs; return its kubeconfig and whether this call started it.

    A backend named explicitly that differs from the running one is an error, not a silent
    reuse: the reader asked for something that did not happen.
    """
    with lock():
        return _up(requested, context)


def _up(requested: str, context: str | None) -> tuple[Path, bool]:
    already = running_backend()
    if already and (reason := plane(already).outdated()):
        print(f"[cluster] the {already} cluster {reason}; starting it afresh")
        _down()
        already = None
    if already:
        if requested not in ("auto", already):
            raise ProvisioningError(
                f"a {already} cluster is already running, so the {requested} cluster was not started; "
                f"stop it first with `make cluster-down`, then run `make cluster BACKEND={requested}` again."
            )
        running = plane(already)
        print(f"[cluster] a {already} cluster is already running; kubeconfig: {running.kubeconfig}")
        running.complete()
        return running.kubeconfig, False
    backend = choose(requested)
    paths.cache_root().mkdir(parents=True, exist_ok=True)
    path = plane(backend, context).up()
    paths.backend_file().write_text(backend)
    return path, True


def down() -> None:
    with lock():
        _down()


def _down() -> None:
    backend = running_backend() or recorded_backend()
    stopping = plane(backend if backend in BACKENDS[1:] else local.Local.backend)
    for done in stopping.down():
        print(f"[cluster] {done}")
    left = stopping.left_running()
    if left:
        raise ProvisioningError(f"still running after cluster down: {', '.join(left)}; stop them by hand.")
    paths.backend_file().unlink(missing_ok=True)


@dataclass
class Status:
    backend: str | None
    kubeconfig: Path
    nodes: str


def status() -> Status:
    backend = running_backend()
    nodes = ""
    if backend:
        listing = ["get", "nodes", "-o", "json"]
        result = kubectl.run_kubectl(listing, kubeconfig=paths.kubeconfig_path(), timeout=20, check=False)
        nodes = node_table(json.loads(result.stdout)["items"]) if result.returncode == 0 else result.stderr
    return Status(backend, paths.kubeconfig_path(), nodes)


def node_table(nodes: list[dict]) -> str:
    """One line per node: its name, whether it is simulated by kwok or real (runs containers), Ready, zone."""
    rows = [("NAME", "KIND", "READY", "ZONE", "KUBELET")]
    for node in nodes:
        meta, status = node["metadata"], node.get("status", {})
        kind = "simulated" if is_simulated(meta.get("labels")) else "real"
        ready = node_ready(node)
        zone = (meta.get("labels") or {}).get("topology.kubernetes.io/zone", "-")
        rows.append((meta["name"], kind, ready, zone, status.get("nodeInfo", {}).get("kubeletVersion", "-")))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("   ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in rows) + "\n"
