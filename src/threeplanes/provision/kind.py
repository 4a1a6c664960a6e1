"""The kind backend, for readers with a Docker engine: real containers, the same labs.

kind runs one control-plane and two worker containers (``cluster/kind.yaml``); its
kubeconfig goes to the same path as the local cluster's, so the labs find either.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from threeplanes.provision import binaries, paths
from threeplanes.versions import pinned

CLUSTER_NAME = "threeplanes"
CONFIG = Path(__file__).resolve().parents[3] / "cluster" / "kind.yaml"
NO_DOCKER = (
    "BACKEND=kind needs a Docker engine, and none answers here ({reason}). "
    "Leave BACKEND unset (or BACKEND=local) to use the local cluster, which needs no Docker: `make cluster`."
)


def log(message: str) -> None:
    print(f"[cluster] {message}", file=sys.stderr, flush=True)


def kubeconfig_path() -> Path:
    return paths.cache_root() / "kubeconfig"


def docker_engine_problem() -> str | None:
    """None when a Docker engine answers; otherwise why not, in a few words."""
    try:
        result = subprocess.run(
            ["docker", "info", "--format", "{{.ServerVersion}}"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except FileNotFoundError:
        return "the docker command is not installed"
    except subprocess.TimeoutExpired:
        return "`docker info` did not answer within 10 s"
    if result.returncode != 0:
        first = (result.stderr.strip().splitlines() or ["no reason given"])[0]
        return f"`docker info` failed: {first}"
    return None


def _kind() -> str:
    return str(binaries.ensure(binaries.kind_component())["kind"])


def is_running() -> bool:
    if docker_engine_problem():
        return False
    result = subprocess.run([_kind(), "get", "clusters"], capture_output=True, text=True, timeout=30, check=False)
    return CLUSTER_NAME in result.stdout.split()


def up(timeout: float = 300) -> Path:
    problem = docker_engine_problem()
    if problem:
        raise binaries.ProvisioningError(NO_DOCKER.format(reason=problem))
    if is_running():
        subprocess.run(
            [_kind(), "export", "kubeconfig", "--name", CLUSTER_NAME, "--kubeconfig", str(kubeconfig_path())],
            check=True,
            timeout=60,
        )
        log(f"the kind cluster is already running; kubeconfig: {kubeconfig_path()}")
        return kubeconfig_path()
    log(f"creating the kind cluster ({pinned().kind_node_image}, config {CONFIG})")
    subprocess.run(
        [
            _kind(),
            "create",
            "cluster",
            "--name",
            CLUSTER_NAME,
            "--image",
            pinned().kind_node_image,
            "--config",
            str(CONFIG),
            "--kubeconfig",
            str(kubeconfig_path()),
            "--wait",
            f"{int(timeout)}s",
        ],
        check=True,
        timeout=timeout + 60,
    )
    return kubeconfig_path()


def down() -> None:
    if is_running():
        subprocess.run(
            [_kind(), "delete", "cluster", "--name", CLUSTER_NAME, "--kubeconfig", str(kubeconfig_path())],
            check=True,
            timeout=300,
        )
    kubeconfig_path().unlink(missing_ok=True)
