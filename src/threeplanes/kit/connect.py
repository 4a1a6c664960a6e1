"""Connect to the cluster the labs run on, and say clearly when there is none.

The kubeconfig is, in order: the path given, ``$THREEPLANES_KUBECONFIG``, or the one the
book's own cluster writes (``~/.cache/threeplanes/kubeconfig``, for both the local and kind
backends). ``$KUBECONFIG`` is deliberately ignored: a lab never runs against whatever
cluster a reader's shell happens to point at.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import urllib3
import yaml
from kubernetes import client, config
from kubernetes.config.config_exception import ConfigException

from threeplanes.errors import ClusterUnavailable, NotOnThisCluster
from threeplanes.provision.control_plane import ControlPlane
from threeplanes.provision.nodes import is_simulated, node_is_ready
from threeplanes.provision.paths import backend_file, kubeconfig_path
from threeplanes.provision.realnode.configs import NODE_LABEL as REAL_NODE_LABEL

KUBECONFIG_ENV = "THREEPLANES_KUBECONFIG"
ALLOW_CLUSTER_SCOPED_ENV = "THREEPLANES_ALLOW_CLUSTER_SCOPED"
# Read in a terminal and in a notebook alike, so it names no cell and no shell.
START_HINT = "Start the book's cluster with `make cluster` in the book's folder, then try again."


def default_kubeconfig() -> Path:
    return kubeconfig_path()


def find_kubeconfig(path: str | os.PathLike | None = None) -> Path:
    """The kubeconfig to use, or ``ClusterUnavailable`` naming where it looked."""
    if path:
        candidates = [Path(path)]
    elif os.environ.get(KUBECONFIG_ENV):
        candidates = [Path(os.environ[KUBECONFIG_ENV])]
    else:
        candidates = [default_kubeconfig()]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise ClusterUnavailable(f"No kubeconfig found at {', '.join(map(str, candidates))}. {START_HINT}")


@dataclass
class Cluster:
    """A connection to the cluster: the typed API groups, and where they point."""

    api_client: client.ApiClient
    kubeconfig: Path
    context: str
    server: str
    version: str
    core: client.CoreV1Api = field(init=False)
    apps: client.AppsV1Api = field(init=False)
    batch: client.BatchV1Api = field(init=False)
    autoscaling: client.AutoscalingV2Api = field(init=False)
    discovery: client.DiscoveryV1Api = field(init=False)
    storage: client.StorageV1Api = field(init=False)
    coordination: client.CoordinationV1Api = field(init=False)
    scheduling: client.SchedulingV1Api = field(init=False)
    policy: client.PolicyV1Api = field(init=False)
    rbac: client.RbacAuthorizationV1Api = field(init=False)
    custom: client.CustomObjectsApi = field(init=False)
    # The control plane this connection reaches, when one was given (``kit.control_plane.connect_to``):
    # what a checker judges. None: the book's cluster, found through its kubeconfig.
    control_plane: ControlPlane | None = None

    def __post_init__(self) -> None:
        for name, api in {
            "core": client.CoreV1Api,
            "apps": client.AppsV1Api,
            "batch": client.BatchV1Api,
            "autoscaling": client.AutoscalingV2Api,
            "discovery": client.DiscoveryV1Api,
            "storage": client.StorageV1Api,
            "coordination": client.CoordinationV1Api,
            "scheduling": client.SchedulingV1Api,
            "policy": client.PolicyV1Api,
            "rbac": client.RbacAuthorizationV1Api,
            "custom": client.CustomObjectsApi,
        }.items():
            setattr(self, name, api(self.api_client))

    @property
    def simulated(self) -> bool:
        """True when the nodes are simulated by kwok: no container really runs."""
        nodes = self.core.list_node().items
        return any(is_simulated(n.metadata.labels) for n in nodes)

    def can_show(self, what: str) -> bool:
        """True when real containers can run here: a node that is not simulated is Ready.

        On the local cluster that is its one real node (place pods there with
        ``threeplanes.kit.control_plane.on_real_node``); on kind, every worker. Otherwise print a
        visible note and return False, so the cell is skipped. Under CI (``CI=true``) a cell is never
        skipped: no real node is an error.
        """
        real = [
            n.metadata.name
            for n in self.core.list_node(label_selector=f"{REAL_NODE_LABEL[0]}={REAL_NODE_LABEL[1]}").items
            if not is_simulated(n.metadata.labels) and node_is_ready(n)
        ]
        if real:
            return True
        if os.environ.get("CI", "").strip().lower() == "true":
            raise ClusterUnavailable(
                f"{what} needs real containers, but no real node is Ready on this cluster, and under CI a cell is "
                "never skipped. `make cluster` starts the real node on Linux as root; its reason for not starting "
                "is printed there."
            )
        print(
            f"Note: {what} needs real containers, and no node of this cluster runs them (the real node starts "
            "only on Linux as root), so this step is skipped here. Run `sudo make cluster` on Linux, or use "
            "kind (make cluster BACKEND=kind), to see it."
        )
        return False

    @property
    def backend(self) -> str:
        """``local``, ``kind`` or ``existing`` for the book's own cluster or the control plane carried; ``unknown``
        for another kubeconfig."""
        if self.control_plane is not None:
            return self.control_plane.backend
        if self.kubeconfig.resolve() == kubeconfig_path().resolve() and backend_file().is_file():
            return backend_file().read_text().strip() or "unknown"
        return "unknown"

    def _without_kwok(self, what: str) -> str:
        return (
            f"{what} needs nodes that the lab creates, starves or stops at will, which only kwok's simulated "
            f"nodes on the book's local cluster allow; the nodes of this cluster (backend: {self.backend}) are "
            "real containers or machines that no lab may add, fill or stop, so this step does not run here "
            "(`make cluster BACKEND=local` shows it)."
        )

    def can_simulate_nodes(self, what: str) -> bool:
        """True when kwok simulates this cluster's nodes; elsewhere print one sentence saying what is skipped.

        Guard the cells that create, starve or stop nodes (bin packing, self-healing, scaling).
        """
        if self.simulated:
            return True
        print(f"Note: {self._without_kwok(what)}")
        return False

    def require_simulated_nodes(self, what: str) -> None:
        """Raise ``NotOnThisCluster`` (one sentence) unless kwok simulates this cluster's nodes."""
        if not self.simulated:
            raise NotOnThisCluster(self._without_kwok(what))

    def can_read_control_plane_files(self, what: str) -> bool:
        """True on the local cluster, whose components' files and logs lie in the cache; elsewhere say so."""
        if self.backend == "local":
            return True
        print(
            f"Note: {what} reads the control plane's own files (its configuration and logs), which only the "
            f"book's local cluster keeps on this machine; on this cluster (backend: {self.backend}) the step "
            "does not run."
        )
        return False

    def can_change_cluster_scoped(self, what: str) -> bool:
        """False on a cluster of the reader's own unless ``THREEPLANES_ALLOW_CLUSTER_SCOPED=1``: nodes drained,
        PriorityClasses and other cluster-wide objects touch everyone who uses it."""
        if self.backend != "existing" or os.environ.get(ALLOW_CLUSTER_SCOPED_ENV) == "1":
            return True
        print(
            f"Note: {what} changes the whole cluster, not only the lab's namespace, and this is a cluster of "
            f"your own: the step does not run unless you set {ALLOW_CLUSTER_SCOPED_ENV}=1 before starting Jupyter."
        )
        return False

    def get_raw(self, path: str) -> str:
        """GET a raw API path (``/readyz``, ``/version``) and return the body as text."""
        response = self.api_client.call_api(
            path, "GET", auth_settings=["BearerToken"], _preload_content=False, _request_timeout=10
        )
        return response.data.decode()

    def __str__(self) -> str:
        return f"context {self.context} at {self.server}, Kubernetes {self.version}"


def connect(
    kubeconfig: str | os.PathLike | None = None, timeout: float = 5.0, control_plane: ControlPlane | None = None
) -> Cluster:
    """Load the kubeconfig and check that its API server answers within ``timeout`` seconds.

    ``control_plane``, when given, is carried by the connection (``Cluster.control_plane``).
    """
    path = find_kubeconfig(kubeconfig)
    try:
        contexts, active = config.list_kube_config_contexts(config_file=str(path))
        configuration = client.Configuration()
        config.load_kube_config(config_file=str(path), client_configuration=configuration)
    except (ConfigException, OSError, ValueError, TypeError, KeyError, AttributeError, yaml.YAMLError) as error:
        raise ClusterUnavailable(f"The kubeconfig {path} could not be used: {error}. {START_HINT}") from None
    configuration.retries = False
    api_client = client.ApiClient(configuration)
    server = configuration.host
    context = active["name"] if active else "(none)"
    try:
        info = client.VersionApi(api_client).get_code(_request_timeout=timeout)
    except urllib3.exceptions.HTTPError as error:
        reason = type(error).__name__
        raise ClusterUnavailable(
            f"No Kubernetes API answered at {server} within {timeout:g} s (context {context}, kubeconfig {path}: "
            f"{reason}). {START_HINT}"
        ) from None
    except client.ApiException as error:
        raise ClusterUnavailable(
            f"The API at {server} refused the request ({error.status} {error.reason}); the credentials of context "
            f"{context} in {path} are not accepted. {START_HINT}"
        ) from None
    return Cluster(api_client, path, context, server, info.git_version, control_plane)
