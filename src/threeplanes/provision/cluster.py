"""One cluster for the book, on the backend that fits the machine.

``auto`` picks kind where a Docker engine answers and the local control plane elsewhere.
The chosen backend is remembered beside the kubeconfig so ``down`` and ``status`` act on
the cluster that ``up`` started.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from threeplanes.provision import kind, local, paths
from threeplanes.provision.nodes import KWOK_ANNOTATION

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


def up(requested: str = "auto") -> tuple[Path, bool]:
    """Start the cluster unless one runs; return its kubeconfig and whether this call started it."""
    already = running_backend()
    if already:
        print(f"[cluster] a {already} cluster is already running; kubeconfig: {local.kubeconfig_path()}")
        if already == "local":
            local.start_real_node()
        return local.kubeconfig_path(), False
    backend = choose(requested)
    paths.cache_root().mkdir(parents=True, exist_ok=True)
    path = kind.up() if backend == "kind" else local.up()
    _backend_file().write_text(backend)
    return path, True


def down() -> None:
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
            [local.kubectl_binary(), "--kubeconfig", str(local.kubeconfig_path()), "get", "nodes", "-o", "json"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
        nodes = node_table(json.loads(result.stdout)["items"]) if result.returncode == 0 else result.stderr
    return Status(backend, local.kubeconfig_path(), nodes)


def node_table(nodes: list[dict]) -> str:
    """One line per node: its name, whether it is simulated by kwok or real (runs containers), Ready, zone."""
    rows = [("NAME", "KIND", "READY", "ZONE", "KUBELET")]
    for node in nodes:
        meta, status = node["metadata"], node.get("status", {})
        kind = "simulated" if KWOK_ANNOTATION in (meta.get("annotations") or {}) else "real"
        ready = next((c["status"] for c in status.get("conditions", []) if c["type"] == "Ready"), "Unknown")
        zone = (meta.get("labels") or {}).get("topology.kubernetes.io/zone", "-")
        rows.append((meta["name"], kind, ready, zone, status.get("nodeInfo", {}).get("kubeletVersion", "-")))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("   ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in rows) + "\n"
