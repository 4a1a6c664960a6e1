"""The kind backend, for readers with a Docker engine: real containers, the same labs.

The cluster is driven by pytest-kind-ng's ``KindCluster``, given the kind binary that
provisioning found (so it never downloads one), the pinned kubectl, the node image pinned
by digest in ``versions.toml`` and ``cluster/kind.yaml`` (one control-plane and two worker
containers). Its kubeconfig goes to the same path as the local cluster's, so the labs find
either. pytest-kind-ng runs kind without a timeout; every call here runs under a deadline
that stops kind when it passes. ``Kind`` is such a cluster as a value (its name, configuration
and kubeconfig); ``Kind.book()`` is the book's.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import psutil

from threeplanes.errors import ProvisioningError
from threeplanes.provision import binaries, kubectl, paths, processes
from threeplanes.provision.control_plane import ControlPlane
from threeplanes.provision.paths import CLUSTER_NAME, kubectl_binary
from threeplanes.provision.say import log
from threeplanes.versions import pinned

KIND_CONFIG = paths.CLUSTER_CONFIGS / "kind.yaml"
CREATE_TIMEOUT_S = 600.0  # pulling the node image on a slow line takes minutes
DELETE_TIMEOUT_S = 300.0
NO_DOCKER = (
    "BACKEND=kind needs a Docker engine, and none answers here ({reason}). "
    "Leave BACKEND unset (or BACKEND=local) to use the local cluster, which needs no Docker: `make cluster`."
)

if TYPE_CHECKING:
    from pytest_kind import KindCluster

T = TypeVar("T")


def docker_engine_problem() -> str | None:
    """None when a Docker engine answers; otherwise why not, in a few words."""
    try:
        info = ["docker", "info", "--format", "{{.ServerVersion}}"]
        result = processes.run(info, capture_output=True, timeout=10, check=False)  # its failure is the answer
    except ProvisioningError as error:
        return str(error)
    if result.returncode != 0:
        first = (result.stderr.strip().splitlines() or ["no reason given"])[0]
        return f"`docker info` failed: {first}"
    return None


def kind_binary() -> Path:
    """The kind binary provisioning found: named directory, cache, verified download or build."""
    return binaries.ensure(binaries.kind_component())["kind"]


def with_deadline(action: Callable[[], T], seconds: float, program: Path, what: str) -> T:
    """Run ``action`` (which runs ``program``); when ``seconds`` pass, stop ``program`` and say so."""
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    future = pool.submit(action)
    try:
        return future.result(timeout=seconds)
    except concurrent.futures.TimeoutError:
        for process in [p for p in psutil.Process().children(recursive=True) if _runs(p, program)]:
            processes.stop_tree(process.pid)
        with contextlib.suppress(Exception):
            future.result(timeout=30)
        raise ProvisioningError(f"{what} did not finish within {seconds:g} s and was stopped.") from None
    except Exception as error:
        # pytest-kind-ng runs kind through subprocess.run(check=True): a failure is a CalledProcessError.
        if not isinstance(getattr(error, "returncode", None), int):
            raise
        raise ProvisioningError(
            f"{what} failed with exit status {error.returncode}; kind's own words are printed above."
        ) from None
    finally:
        pool.shutdown(wait=False)


def _runs(process: psutil.Process, program: Path) -> bool:
    try:  # the program itself, or a script run by its interpreter
        return str(program) in process.cmdline()[:2]
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def _wait_for_nodes(timeout: float, kubeconfig: Path) -> None:
    """kind returns once the containers run; the labs need the nodes Ready."""
    wait = ["wait", "--for=condition=Ready", "node", "--all", f"--timeout={int(timeout)}s"]
    try:
        kubectl.run_kubectl(wait, kubeconfig=kubeconfig, timeout=timeout + 30)
    except processes.CommandFailed as error:
        said = processes.last_lines(error.stderr, 1)
        raise ProvisioningError(f"the kind nodes did not become Ready: {said[0] if said else error}") from None


@dataclass(frozen=True)
class Kind(ControlPlane):
    """A kind cluster: its nodes are containers of the digest-pinned node image, in ``config``'s layout."""

    backend = "kind"

    name: str
    config: Path
    kubeconfig_file: Path

    @classmethod
    def book(cls, context: str | None = None) -> Kind:
        """The book's kind cluster, whose kubeconfig goes where the local cluster's does."""
        return cls(CLUSTER_NAME, KIND_CONFIG, paths.kubeconfig_path())

    @classmethod
    def problem(cls) -> str | None:
        return docker_engine_problem()

    @property
    def kubeconfig(self) -> Path:
        return self.kubeconfig_file

    def handle(self) -> KindCluster:
        """pytest-kind-ng's handle on this cluster, with every path given so that it downloads nothing.

        pytest-kind-ng passes ``image`` as ``kind create cluster --image``, which kind applies to
        every node of the configuration (pkg/cluster/internal/create/create.go), so every node of
        ``config`` runs the digest-pinned image. Imported here, so that the local backend never
        depends on it.
        """
        from pytest_kind import KindCluster

        state = paths.cache_root() / "kind"
        state.mkdir(parents=True, exist_ok=True)
        # KindCluster keeps a folder (.pytest-kind/<name>) under the working directory: put it in the cache.
        with contextlib.chdir(state):
            return KindCluster(
                self.name,
                kubeconfig=self.kubeconfig,
                image=pinned().kind_node_image,
                kind_path=kind_binary(),
                kubectl_path=Path(kubectl_binary()),
            )

    def is_running(self) -> bool:
        if docker_engine_problem():
            return False
        result = processes.run([str(kind_binary()), "get", "clusters"], capture_output=True, timeout=30)
        return self.name in result.stdout.split()

    def up(self, timeout: float = CREATE_TIMEOUT_S) -> Path:
        """Create the kind cluster unless it exists; wait for its nodes; return its kubeconfig."""
        problem = docker_engine_problem()
        if problem:
            raise ProvisioningError(NO_DOCKER.format(reason=problem))
        if self.is_running():
            export = ["export", "kubeconfig", "--name", self.name, "--kubeconfig", str(self.kubeconfig)]
            processes.run(
                [str(kind_binary()), *export], capture_output=True, timeout=60, what="`kind export kubeconfig`"
            )
            log("cluster", f"the kind cluster is already running; kubeconfig: {self.kubeconfig}")
            return self.kubeconfig
        log("cluster", f"creating the kind cluster ({pinned().kind_node_image}, config {self.config})")
        cluster = self.handle()
        try:
            create = functools.partial(cluster.create, config_file=self.config)
            with_deadline(create, timeout, cluster.kind_path, "`kind create cluster`")
        except ProvisioningError:
            # KindCluster creates the kubeconfig empty before kind fills it: leave none behind.
            if self.kubeconfig.exists() and not self.kubeconfig.stat().st_size:
                self.kubeconfig.unlink()
            raise
        _wait_for_nodes(timeout, self.kubeconfig)
        return self.kubeconfig

    def down(self) -> list[str]:
        deleted = []
        if self.is_running():
            cluster = self.handle()
            with_deadline(cluster.delete, DELETE_TIMEOUT_S, cluster.kind_path, "`kind delete cluster`")
            deleted.append(f"deleted the kind cluster {self.name}")
        self.kubeconfig.unlink(missing_ok=True)
        return deleted
