"""One cluster for the book, on the backend that fits the machine.

``auto`` picks kind where a Docker engine answers and the local control plane elsewhere;
``existing`` (a cluster of the reader's own, named by its context) is never picked by
``auto``. The chosen backend is remembered beside the kubeconfig so ``down`` and ``status``
act on the cluster that ``up`` started.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock

from threeplanes.errors import ProvisioningError
from threeplanes.provision import existing, kind, local, paths, processes
from threeplanes.provision.nodes import is_simulated

BACKENDS = ("auto", "local", "kind", "existing")


def choose(requested: str = "auto") -> str:
    if requested not in BACKENDS:
        raise ProvisioningError(f"unknown backend {requested!r}; choose one of {', '.join(BACKENDS)}.")
    if requested != "auto":
        return requested
    return "kind" if kind.docker_engine_problem() is None else "local"


def recorded_backend() -> str | None:
    """The backend ``up`` last started, as remembered in the cache."""
    path = paths.backend_file()
    return (path.read_text().strip() or None) if path.exists() else None


def running_backend() -> str | None:
    """The backend of the cluster that is running now, if any."""
    recorded = recorded_backend()
    if recorded == "existing" and existing.answers():
        return "existing"
    if recorded == "kind" and kind.is_running():
        return "kind"
    # The book's kubeconfig belongs to the recorded backend: only a local one says the local cluster runs.
    if recorded in (None, "local") and local.is_running():
        return "local"
    return None


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
    if already == "local" and not local.started_with_this_config():
        print(f"[cluster] the local cluster runs with an older {local.CONFIG.name} than the book's; starting it afresh")
        _down()
        already = None
    if already:
        if requested not in ("auto", already):
            raise ProvisioningError(
                f"a {already} cluster is already running, so the {requested} cluster was not started; "
                f"stop it first with `make cluster-down`, then run `make cluster BACKEND={requested}` again."
            )
        print(f"[cluster] a {already} cluster is already running; kubeconfig: {paths.kubeconfig_path()}")
        if already == "local":
            local.start_real_node()
        return paths.kubeconfig_path(), False
    backend = choose(requested)
    paths.cache_root().mkdir(parents=True, exist_ok=True)
    if backend == "existing":
        path = existing.up(context)
    elif backend == "kind":
        path = kind.up()
    else:
        path = local.up()
    paths.backend_file().write_text(backend)
    return path, True


def down() -> None:
    with lock():
        _down()


def _down() -> None:
    backend = running_backend() or recorded_backend() or "local"
    if backend == "existing":
        deleted = existing.down()
        print(f"[cluster] deleted {len(deleted)} object(s) the labs made: {', '.join(deleted) or 'none'}")
    elif backend == "kind":
        kind.down()
    else:
        stopped = local.down()
        for process in stopped:
            if process.running:
                print(f"[cluster] stopped {process.name} (pid {process.pid})")
        left = [p for p in local.processes() if p.running]
        if left:
            names = ", ".join(f"{p.name} (pid {p.pid})" for p in left)
            raise ProvisioningError(f"still running after cluster down: {names}; stop them by hand.")
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
        args = ["--kubeconfig", str(paths.kubeconfig_path()), "get", "nodes", "-o", "json"]
        result = processes.run([paths.kubectl_binary(), *args], capture_output=True, timeout=20)
        nodes = node_table(json.loads(result.stdout)["items"]) if result.returncode == 0 else result.stderr
    return Status(backend, paths.kubeconfig_path(), nodes)


def node_table(nodes: list[dict]) -> str:
    """One line per node: its name, whether it is simulated by kwok or real (runs containers), Ready, zone."""
    rows = [("NAME", "KIND", "READY", "ZONE", "KUBELET")]
    for node in nodes:
        meta, status = node["metadata"], node.get("status", {})
        kind = "simulated" if is_simulated(meta.get("labels")) else "real"
        ready = next((c["status"] for c in status.get("conditions", []) if c["type"] == "Ready"), "Unknown")
        zone = (meta.get("labels") or {}).get("topology.kubernetes.io/zone", "-")
        rows.append((meta["name"], kind, ready, zone, status.get("nodeInfo", {}).get("kubeletVersion", "-")))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("   ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in rows) + "\n"
