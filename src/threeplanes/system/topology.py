"""The cluster's architecture as this machine runs it: which component listens where, who talks to whom.

On the book's local cluster every component is a process of this machine, so its architecture
need not be drawn from memory: ``observe`` reads it with psutil. Each component's TCP ports come
from the sockets it listens on, and an edge ``a -> b`` is an established connection from a socket
of ``a`` to a port ``b`` listens on, seen at the moment of reading. The kubelet reaches containerd
through a Unix socket, whose peers psutil cannot pair: that one edge is read from the kubelet's
configuration and drawn apart.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field

import graphviz
import psutil

from threeplanes.errors import NotOnThisCluster
from threeplanes.kit.control_plane import ControlPlane, real_node_processes
from threeplanes.kit.tables import Table

# Where each component runs on the book's local cluster, for the drawing.
CONTROL_PLANE = (
    "etcd",
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kwok-controller",
    "metrics-server",
)
REAL_NODE = ("kubelet", "kube-proxy", "containerd", "coredns")
YOU = "this notebook"


@dataclass(frozen=True)
class Edge:
    client: str
    server: str
    port: int  # the server's port the client is connected to
    connections: int


@dataclass
class Topology:
    """Components with their listening ports, and the connections open between them."""

    listening: dict[str, list[int]] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)

    def talks_to(self, client: str) -> set[str]:
        return {e.server for e in self.edges if e.client == client}

    def clients_of(self, server: str) -> set[str]:
        return {e.client for e in self.edges if e.server == server}

    def table(self) -> Table:
        """One row per component: its ports, and the components it is connected to."""
        rows = [
            [name, ", ".join(str(p) for p in ports) or "-", ", ".join(sorted(self.talks_to(name))) or "-"]
            for name, ports in self.listening.items()
        ]
        return Table(["component", "listens on", "connected to"], rows)


def component_processes(plane: ControlPlane) -> dict[str, psutil.Process]:
    """The running processes of ``plane``'s components and of the real node, by component name."""
    if plane.backend != "local":
        raise NotOnThisCluster(
            f"the {plane.backend} cluster's components are not processes of this machine; "
            "the local cluster (`make cluster`) shows them"
        )
    found: dict[str, psutil.Process] = {}
    for info in plane.processes():
        if info.running:
            with contextlib.suppress(psutil.Error):
                found[_component_name(info.name)] = psutil.Process(info.pid)
    for started in real_node_processes():
        process = started.process()
        if process is not None:
            found[started.name] = process
    return found


def _component_name(program: str) -> str:
    # kwokctl names its processes after their binaries; kwok's controller binary is `kwok`.
    return "kwok-controller" if program == "kwok" else program


def observe_topology(processes: dict[str, psutil.Process], you: int | None = None) -> Topology:
    """The topology of ``processes`` (``{component: process}``), with this process as ``YOU``."""
    processes = {**processes, YOU: psutil.Process(you or os.getpid())}
    sockets = {name: _tcp(process) for name, process in processes.items()}
    topology = Topology()
    owner_of_port: dict[int, str] = {}
    for name, connections in sockets.items():
        ports = sorted({c.laddr.port for c in connections if c.status == psutil.CONN_LISTEN})
        if name != YOU:
            topology.listening[name] = ports
        owner_of_port.update({port: name for port in ports})
    counts: dict[tuple[str, str, int], int] = {}
    for name, connections in sockets.items():
        for c in connections:
            if c.status != psutil.CONN_ESTABLISHED or not c.raddr or not _local(c.raddr.ip):
                continue
            server = owner_of_port.get(c.raddr.port)
            if server is not None and server != name:
                key = (name, server, c.raddr.port)
                counts[key] = counts.get(key, 0) + 1
    topology.edges = [Edge(a, b, port, n) for (a, b, port), n in sorted(counts.items())]
    return topology


def _tcp(process: psutil.Process) -> list:
    """Every TCP socket of ``process`` (none when it ended meanwhile)."""
    try:
        return process.net_connections(kind="tcp")
    except psutil.Error:
        return []


def _local(address: str) -> bool:
    """A loopback address, or one of this machine's own (the real node's kubelet dials the API server that way)."""
    return address.startswith("127.") or address in {"::1"} | _own_addresses()


def _own_addresses() -> set[str]:
    return {a.address for addresses in psutil.net_if_addrs().values() for a in addresses}


def draw(topology: Topology) -> graphviz.Digraph:
    """The topology as a graph: the control plane, the real node, and this notebook, each in a box of its own."""
    graph = graphviz.Digraph(graph_attr={"rankdir": "LR", "fontname": "Helvetica", "fontsize": "11"})
    graph.attr("node", shape="box", style="rounded,filled", fontname="Helvetica", fontsize="10")
    groups = [
        ("cluster_control_plane", "control plane (processes on this machine)", CONTROL_PLANE, "#dbeafe"),
        ("cluster_real_node", "the real worker node (processes on this machine)", REAL_NODE, "#dcfce7"),
    ]
    for key, label, members, colour in groups:
        with graph.subgraph(name=key) as box:
            box.attr(label=label, style="rounded", color="#94a3b8")
            for name in members:
                if name in topology.listening:
                    ports = ", ".join(str(p) for p in topology.listening[name]) or "no TCP port"
                    box.node(name, f"{name}\n:{ports}", fillcolor=colour)
    graph.node(YOU, YOU, shape="ellipse", fillcolor="#fef3c7")
    for edge in topology.edges:
        graph.edge(
            edge.client, edge.server, label=f":{edge.port}" + (f" ×{edge.connections}" if edge.connections > 1 else "")
        )
    if "kubelet" in topology.listening and "containerd" in topology.listening:
        graph.edge("kubelet", "containerd", label="CRI, Unix socket", style="dashed")
    return graph
