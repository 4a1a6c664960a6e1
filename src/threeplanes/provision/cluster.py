"""One cluster for the book, on the backend that fits the machine.

``auto`` picks kind where a Docker engine answers and the local control plane elsewhere.
The chosen backend is remembered beside the kubeconfig so ``down`` and ``status`` act on
the cluster that ``up`` started.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock

from threeplanes.provision import kind, local, paths

BACKENDS = ("auto", "local", "kind")


def _backend_file() -> Path:
    return paths.cache_root() / "backend"


def choose(requested: str = "auto") -> str:
    if requested not in BACKENDS:
        raise ValueError(f"unknown backend {requested!r}; choose one of {', '.join(BACKENDS)}")
    if requested != "auto":
        return requested
    return "kind" if kind.docker_engine_problem() is None else "local"


def running_backend() -> str | None:
    """The backend of the cluster that is running now, if any."""
    recorded = _backend_file().read_text().strip() if _backend_file().exists() else None
    if recorded == "kind" and kind.is_running():
        return "kind"
    if local.is_running():
        return "local"
    return None


def lock() -> FileLock:
    """Held while a cluster starts or stops, so that two commands at once never take each other's
    half-started cluster for a stale one."""
    paths.cache_root().mkdir(parents=True, exist_ok=True)
    return FileLock(paths.cache_root() / "cluster.lock", timeout=900)


def up(requested: str = "auto") -> tuple[Path, bool]:
    """Start the cluster unless one runs; return its kubeconfig and whether this call started it."""
    with lock():
        return _up(requested)


def _up(requested: str) -> tuple[Path, bool]:
    already = running_backend()
    if already:
        print(f"[cluster] a {already} cluster is already running; kubeconfig: {local.kubeconfig_path()}")
        return local.kubeconfig_path(), False
    backend = choose(requested)
    paths.cache_root().mkdir(parents=True, exist_ok=True)
    path = kind.up() if backend == "kind" else local.up()
    _backend_file().write_text(backend)
    return path, True


def down() -> None:
    with lock():
        _down()


def _down() -> None:
    backend = running_backend() or (_backend_file().read_text().strip() if _backend_file().exists() else "local")
    if backend == "kind":
        kind.down()
    else:
        stopped = local.down()
        for process in stopped:
            if process.running:
                print(f"[cluster] stopped {process.name} (pid {process.pid})")
        left = [p for p in local.processes() if p.running]
        if left:
            raise RuntimeError(f"still running after cluster down: {left}")
    _backend_file().unlink(missing_ok=True)


@dataclass
class Status:
    backend: str | None
    kubeconfig: Path
    nodes: str


def status() -> Status:
    backend = running_backend()
    nodes = ""
    if backend:
        result = subprocess.run(
            [
                local.kubectl_binary(),
                "--kubeconfig",
                str(local.kubeconfig_path()),
                "get",
                "nodes",
                "-L",
                "topology.kubernetes.io/zone",
            ],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
        nodes = result.stdout
    return Status(backend, local.kubeconfig_path(), nodes)
