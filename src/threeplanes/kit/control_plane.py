"""The one door from the labs, the checkers and the planes to the control plane as a value.

``book()`` is the book's running cluster (``Local``, ``Kind`` or ``Existing``, one interface:
``up``, ``down``, ``is_running``, ``kubeconfig``; on the local backend also ``components``,
``stop_component``, ``start_component``, ``restart_component``, ``flags`` and ``log``). A lab
that needs a control plane of its own makes a ``Local`` with another name and working folder,
and never touches the book's. ``connect_to(plane)`` gives the lab kit's ``Cluster`` for a
control plane, carrying it, so that a checker judges that one.

What the labs also take from provisioning comes through here: ``on_real_node`` and
``REAL_NODE_NAME`` (pods on the real node), ``real_node_processes`` (its recorded processes),
``real_node_manifests`` (its kubelet's static pod folder), ``real_node_folder`` (where the labs' hostPath
volumes lie on its disk),
``CLUSTER_DOMAIN`` (the suffix of the cluster's DNS names) and ``DNS_PORT``, the real node's image
builders (``NodeImage``, ``ImageFile``, ``layer_tar``, ``oci_archive``, ``busybox_files``: the lab kit's
``images`` builds and imports a lab's images with them), ``kubectl_binary`` (the pinned kubectl),
``certificate_kubeconfig`` (a kubeconfig that authenticates with a client certificate),
the local cluster's etcd (``Etcd``, ``from_apiserver_flags``, ``flags_of`` a component's record) and
its second API server (``Local.start_second_apiserver``).

``etcd_tool`` gives the pinned ``etcd``, ``etcdctl`` or ``etcdutl``; ``run_program`` runs a program
to its end with a deadline, ``start_program`` starts a server that outlives the call (``Started``),
and ``stop_program`` stops it; ``free_ports`` finds loopback ports nobody listens on.
"""

from __future__ import annotations

import functools
from pathlib import Path

from threeplanes.errors import ClusterUnavailable, LabError
from threeplanes.kit.connect import Cluster, connect
from threeplanes.provision import binaries
from threeplanes.provision import cluster as book_cluster
from threeplanes.provision.control_plane import ControlPlane
from threeplanes.provision.etcd import Etcd, from_apiserver_flags
from threeplanes.provision.existing import Existing
from threeplanes.provision.kind import Kind
from threeplanes.provision.local import Local, SecondApiserver, flags_of
from threeplanes.provision.nodes import Node
from threeplanes.provision.paths import kubectl_binary
from threeplanes.provision.ports import free_ports
from threeplanes.provision.processes import Started
from threeplanes.provision.processes import run as run_program
from threeplanes.provision.processes import start as start_program
from threeplanes.provision.processes import stop as stop_processes
from threeplanes.provision.processes import stop_started as stop_program
from threeplanes.provision.realnode import NODE_NAME as REAL_NODE_NAME
from threeplanes.provision.realnode import node_processes as real_node_processes
from threeplanes.provision.realnode import on_real_node
from threeplanes.provision.realnode.configs import CLUSTER_DOMAIN, DNS_PORT, Layout
from threeplanes.provision.realnode.configs import kubeconfig as certificate_kubeconfig
from threeplanes.provision.realnode.images import Image as NodeImage
from threeplanes.provision.realnode.images import ImageFile, busybox_files, layer_tar, oci_archive

__all__ = [
    "CLUSTER_DOMAIN",
    "DNS_PORT",
    "REAL_NODE_NAME",
    "ControlPlane",
    "Etcd",
    "Existing",
    "ImageFile",
    "Kind",
    "Local",
    "Node",
    "NodeImage",
    "SecondApiserver",
    "Started",
    "book",
    "busybox_files",
    "certificate_kubeconfig",
    "component_binary",
    "connect_to",
    "etcd_tool",
    "flags_of",
    "free_ports",
    "from_apiserver_flags",
    "kubectl_binary",
    "layer_tar",
    "oci_archive",
    "on_real_node",
    "run_program",
    "start_program",
    "stop_processes",
    "stop_program",
    "real_node_processes",
    "real_node_folder",
    "real_node_manifests",
    "real_node_runtime_endpoint",
]


def book() -> ControlPlane:
    """The book's cluster that runs now, as a value; ``ClusterUnavailable`` when none runs."""
    running = book_cluster.running_plane()
    if running is None:
        raise ClusterUnavailable("The book's cluster is not running. Start it with `make cluster`, then try again.")
    return running


def connect_to(plane: ControlPlane, timeout: float = 5.0) -> Cluster:
    """The lab kit's connection to ``plane``'s API server, carrying ``plane`` (``Cluster.control_plane``)."""
    return connect(plane.kubeconfig, timeout=timeout, control_plane=plane)


ETCD_TOOLS = {"etcd": "etcd", "etcdctl": "etcd-tools", "etcdutl": "etcd-tools"}


@functools.cache
def etcd_tool(name: str) -> Path:
    """The pinned ``etcd``, ``etcdctl`` or ``etcdutl`` binary, provisioned (found, downloaded or built) if missing."""
    if name not in ETCD_TOOLS:
        raise LabError(f"no etcd tool is called {name!r}; there are {', '.join(ETCD_TOOLS)}.")
    return binaries.ensure(binaries.component_named(ETCD_TOOLS[name]))[name]


def component_binary(name: str) -> Path:
    """The pinned binary ``name`` of the local cluster or of its real node (``kube-apiserver``, ``etcd``,
    ``kwok``, ``kubeadm``, ``crictl``...), provisioned (found, downloaded or built) if missing."""
    every = [*binaries.components(), *binaries.node_components(), *binaries.tool_components()]
    for component in every:
        if name in component.binaries:
            return binaries.ensure(component)[name]
    known = sorted(b for component in every for b in component.binaries)
    raise LabError(f"the local cluster has no binary called {name!r}; it has {', '.join(known)}.")


def real_node_runtime_endpoint() -> str:
    """The CRI endpoint of the real node's containerd (``unix://...``), for ``crictl --runtime-endpoint``."""
    return f"unix://{Layout.default().containerd_socket}"


def real_node_folder(*parts: str) -> Path:
    """A folder of the labs' hostPath volumes on the real node's disk, which is this machine's:
    ``/tmp/threeplanes/<parts>``."""
    return Path("/tmp/threeplanes", *parts)


def real_node_manifests() -> Path:
    """The real node's kubelet's ``staticPodPath``: a pod manifest written there runs as a static pod."""
    return Layout.default().manifests
