"""A real worker node of a lab's own: containerd, the kubelet and (if asked) kube-proxy, in a network namespace.

The book's real node is shared: other labs and the reader's exercises use it at the same moment,
so no lab may stop its kubelet or kube-proxy. A lab that must do so joins a node of its own to its
own control plane (``threeplanes.kit.lab_planes``). Nothing of that node is shared with the book's:

- its network namespace ``tplab<n>``, joined to the host by a veth pair (``tplab<n>h``, host side
  ``10.246.<n>.1``; ``eth0`` inside, ``10.246.<n>.2``, the node's InternalIP); its pods on a bridge
  of that namespace, in ``10.245.<n>.0/24``. kube-proxy and the CNI plugins write their iptables
  rules into that namespace only; the host's tables are never touched;
- its containerd (root, state, socket, runc's state folder), so that its kubelet never meets the
  book node's pod sandboxes (a kubelet removes every sandbox of its runtime it does not know);
- its kubelet root, pod logs and cgroup root (``/threeplanes-labnode-<n>``), certificates issued
  from the lab control plane's CA, and a kubeconfig naming the host end of the veth (the API
  server listens on every address; its certificate is checked against ``localhost``, one of its names).

``<n>`` is the first free one: creating the namespace ``tplab<n>`` is what reserves it. What the
node made is written to ``labnode.json`` in its folder before it is made, so that ``remove_left``
can take away what a run that is gone left (processes, pods' mounts and cgroups, the namespace).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml
from filelock import FileLock

from threeplanes.errors import ProvisioningError
from threeplanes.provision import binaries, paths, processes
from threeplanes.provision import realnode as book_node
from threeplanes.provision.realnode import configs, network
from threeplanes.provision.realnode.configs import Layout, NodeSpec

__all__ = ["LAB_NODE_NAME", "LabNode", "remove_left", "start_lab_node"]

LAB_NODE_NAME = "lab-real-worker"  # the book's real node is configs.NODE_NAME
NETNS_PREFIX = "tplab"
STATE_FILE = "labnode.json"
MAX_INDEX = 250
HOST_NET = "10.246.{n}.0/24"
POD_NET = "10.245.{n}.0/24"
API_SERVER_NAME = "localhost"  # a name the lab plane's serving certificate carries (kwokctl's admin certificate)
COMPONENTS = ("containerd", "kubelet", "kube-proxy")


def images_folder() -> Path:
    """The image archives every lab node imports, built once per machine and pinned version."""
    return paths.cache_root() / "lab-node-images"


def short_folder(index: int) -> Path:
    """Where the node's containerd listens and its kubelet keeps its root: a short path, as a unix socket's must be."""
    return Path("/run/threeplanes") / f"{NETNS_PREFIX}{index}"


def _run(command: list[str], check: bool = True, timeout: float = 30) -> processes.CompletedProcess:
    return processes.run(command, timeout=timeout, capture_output=True, check=check)


@dataclass
class LabNode:
    """A running real node of a lab's own (see the module's text); ``remove()`` takes all of it away."""

    name: str
    folder: Path
    index: int
    kube_proxy: bool
    admin_kubeconfig: Path
    found: dict[str, Path] = field(repr=False)

    @property
    def layout(self) -> Layout:
        return Layout(self.folder, short=short_folder(self.index))

    @property
    def netns(self) -> str:
        return f"{NETNS_PREFIX}{self.index}"

    @property
    def spec(self) -> NodeSpec:
        return _spec(self.name, self.index)

    @property
    def host_address(self) -> str:
        return f"10.246.{self.index}.1"

    @property
    def address(self) -> str:
        """The node's InternalIP: its end of the veth pair, inside its network namespace."""
        return self.spec.node_ip

    @property
    def pod_cidr(self) -> str:
        return self.spec.pod_cidr

    @property
    def runtime_endpoint(self) -> str:
        """Its containerd's CRI endpoint, for ``crictl --runtime-endpoint``."""
        return f"unix://{self.layout.containerd_socket}"

    def in_netns(self, command: list[str]) -> list[str]:
        """``command`` run inside the node's network namespace (and nothing else of it: its mounts are the host's)."""
        return ["nsenter", f"--net=/var/run/netns/{self.netns}", *command]

    def run_in_netns(self, command: list[str], timeout: float = 30) -> processes.CompletedProcess:
        """Run ``command`` inside the node's network namespace; its exit status is the caller's to judge."""
        return processes.run(self.in_netns(command), timeout=timeout, capture_output=True, check=False)

    def log_file(self, component: str) -> Path:
        return self.layout.logs / f"{component}.log"

    def component_running(self, component: str) -> bool:
        return any(p.name == component and p.running for p in processes.recorded(self.layout.pids))

    def components(self) -> list[str]:
        return [c for c in COMPONENTS if c != "kube-proxy" or self.kube_proxy]

    def stop_component(self, component: str) -> bool:
        """Stop ``kubelet`` or ``kube-proxy`` by its PID (what it set up in the kernel stays); True when it ran."""
        if component not in ("kubelet", "kube-proxy"):
            raise ProvisioningError(f"a lab node's {component!r} is not stopped alone; it stops kubelet or kube-proxy.")
        stopped = False
        for started in processes.recorded(self.layout.pids):
            if started.name == component:
                stopped = processes.stop_started(started) or stopped
        return stopped

    def start_component(self, component: str) -> bool:
        """Start ``kubelet`` or ``kube-proxy`` again with the command line it was started with; True when it was not
        running."""
        if component not in ("kubelet", "kube-proxy") or component not in self.components():
            has = ", ".join(self.components())
            raise ProvisioningError(f"this lab node has no {component!r} to start; it has {has}.")
        if self.component_running(component):
            return False
        _start(self, component)
        return True

    def remove(self) -> list[str]:
        """Stop every process of the node by PID, remove its pods, mounts, cgroups, namespace, veth and folder, and
        its Node object; return what was stopped."""
        return remove_left(self.folder, self.admin_kubeconfig)


def _spec(name: str, index: int) -> NodeSpec:
    return NodeSpec(
        name=name,
        bridge="tplab0",
        pod_cidr=POD_NET.format(n=index),
        gateway=f"10.245.{index}.1",
        node_ip=f"10.246.{index}.2",
        cgroup_root=f"/threeplanes-labnode-{index}",
        runc_root=None,  # _full_spec puts runc's state under the node's containerd folder
    )


def _full_spec(node: LabNode) -> NodeSpec:
    return replace(node.spec, runc_root=str(node.layout.containerd / "runc"))


def _reserve_index() -> int:
    """The first ``n`` whose namespace ``tplab<n>`` could be created (and now is) and whose ranges no route uses."""
    taken = _run(["ip", "-4", "route", "show"]).stdout
    for n in range(1, MAX_INDEX):
        if f"10.246.{n}." in taken or f"10.245.{n}." in taken:
            continue
        if _run(["ip", "netns", "add", f"{NETNS_PREFIX}{n}"], check=False).returncode == 0:
            return n
    raise ProvisioningError(f"no free lab node number below {MAX_INDEX}: `ip netns list` shows what is left")


def start_lab_node(
    folder: Path,
    admin_kubeconfig: Path,
    cluster_pki: Path,
    *,
    name: str = LAB_NODE_NAME,
    kube_proxy: bool = True,
    timeout: float = 120,
) -> LabNode:
    """Start a real node in ``folder`` joined to the control plane of ``admin_kubeconfig`` and ``cluster_pki``
    (whose API server must listen on every address), and wait for it to be Ready."""
    reason = "real containers need Linux" if sys.platform != "linux" else None
    reason = reason or book_node.tools_missing((("nsenter", "util-linux"), ("sysctl", "procps")))
    if reason is not None:
        raise ProvisioningError(f"no lab node here: {reason}")
    found = binaries.ensure_node()
    server = yaml.safe_load(admin_kubeconfig.read_text())["clusters"][0]["cluster"]["server"]
    port = server.rsplit(":", 1)[1]
    folder.mkdir(parents=True, exist_ok=True)
    index = _reserve_index()
    node = LabNode(name, folder, index, kube_proxy, admin_kubeconfig, found)
    spec = _full_spec(node)
    state = {
        "name": name,
        "index": index,
        "netns": node.netns,
        "veth": f"{node.netns}h",
        "cgroup_root": spec.cgroup_root,
        "socket": str(node.layout.containerd_socket),
        "short": str(node.layout.short),
        "kube_proxy": kube_proxy,
    }
    (folder / STATE_FILE).write_text(json.dumps(state))
    try:
        node.layout.short.mkdir(parents=True, exist_ok=True)
        _make_network(node)
        book_node._write_files(
            node.layout,
            admin_kubeconfig,
            cluster_pki,
            binaries.pinned().images["pause"],
            spec,
            server=f"https://{node.host_address}:{port}",
            tls_server_name=API_SERVER_NAME,
        )
        proxy = configs.kube_proxy_config(node.layout, spec)
        # Its health and metrics on the node's address, where the host reaches them through the veth.
        proxy["healthzBindAddress"] = f"{spec.node_ip}:{configs.KUBE_PROXY_HEALTHZ_PORT}"
        proxy["metricsBindAddress"] = f"{spec.node_ip}:{configs.KUBE_PROXY_METRICS_PORT}"
        node.layout.file("kube-proxy.yaml").write_text(yaml.safe_dump(proxy))
        book_node._create_cgroup_root(spec.cgroup_root)
        containerd = _start(node, "containerd")
        book_node._wait(
            lambda: book_node._ctr(found, node.layout, ["version"], check=False).returncode == 0,
            30,
            f"the lab node's containerd did not answer on {node.layout.containerd_socket}",
            containerd,
        )
        images_folder().mkdir(parents=True, exist_ok=True)
        with FileLock(images_folder() / ".lock", timeout=300):
            book_node._import_images(found, node.layout, binaries.pinned().images, archives=images_folder())
        kubelet = _start(node, "kubelet")
        api = book_node._core_api(admin_kubeconfig)
        book_node._wait(lambda: _ready(api, name), timeout, f"the kubelet did not register {name} as Ready", kubelet)
        if kube_proxy:
            started = _start(node, "kube-proxy")
            healthz = f"http://{spec.node_ip}:{configs.KUBE_PROXY_HEALTHZ_PORT}/healthz"
            unhealthy = "the lab node's kube-proxy is not healthy"
            book_node._wait(lambda: book_node._http_ok(healthz), 60, unhealthy, started)
    except ProvisioningError as error:
        # The folder goes with the node: the error carries the last lines of the logs it names.
        tails = [
            f"--- {log.name}:\n" + "\n".join(log.read_text(errors="replace").splitlines()[-12:])
            for log in sorted(node.layout.logs.glob("*.log"))
            if log.name in str(error)
        ]
        remove_left(folder, admin_kubeconfig)
        raise ProvisioningError("\n".join([str(error), *tails])) from None
    except BaseException:
        remove_left(folder, admin_kubeconfig)
        raise
    return node


def _ready(api, name: str) -> bool:
    from kubernetes.client.exceptions import ApiException

    from threeplanes.provision.nodes import node_is_ready

    try:
        return node_is_ready(api.read_node(name, _request_timeout=10))
    except ApiException:
        return False


def _make_network(node: LabNode) -> None:
    """The veth pair, its addresses, the route to the Service range, and the namespace's two sysctls."""
    ns, veth = node.netns, f"{node.netns}h"
    _run(["ip", "link", "add", veth, "mtu", str(configs.MTU), "type", "veth", "peer", "name", "eth0", "netns", ns])
    _run(["ip", "addr", "add", f"{node.host_address}/24", "dev", veth])
    _run(["ip", "link", "set", veth, "up"])
    inside = ["ip", "-n", ns]
    _run([*inside, "link", "set", "lo", "up"])
    _run([*inside, "addr", "add", f"{node.address}/24", "dev", "eth0"])
    _run([*inside, "link", "set", "eth0", "up"])
    # A program of the namespace that opens a Service's address needs a route before kube-proxy's DNAT
    # rewrites it; what no rule rewrites goes to the host, which refuses it.
    _run([*inside, "route", "add", configs.SERVICE_CIDR, "via", node.host_address])
    for key, value in network.SYSCTLS.items():
        _run(node.in_netns(["sysctl", "-q", "-w", f"{key.replace('/', '.')}={value}"]))


def _command(node: LabNode, component: str) -> list[str]:
    found, layout, spec = node.found, node.layout, node.spec
    if component == "containerd":
        return [str(found["containerd"]), "--config", str(layout.file("containerd.toml"))]
    if component == "kubelet":
        return [
            str(found["kubelet"]),
            f"--config={layout.file('kubelet.yaml')}",
            f"--kubeconfig={layout.file('kubelet.kubeconfig')}",
            f"--root-dir={layout.kubelet_root}",
            f"--hostname-override={spec.name}",
            f"--node-ip={spec.node_ip}",
            "--node-labels=" + ",".join(f"{k}={v}" for k, v in configs.NODE_LABELS.items()),
            "--v=1",
        ]
    return [str(found["kube-proxy"]), f"--config={layout.file('kube-proxy.yaml')}", "--v=1"]


def _start(node: LabNode, component: str) -> processes.Started:
    bin_path = os.pathsep.join(sorted({str(p.parent) for p in node.found.values()}))
    env = {"PATH": f"{bin_path}{os.pathsep}{os.environ.get('PATH', '')}{os.pathsep}/usr/sbin:/sbin"}
    command = node.in_netns(_command(node, component))
    return processes.start(component, command, node.layout.pids, node.layout.logs, env)


def remove_left(folder: Path, admin_kubeconfig: Path | None = None) -> list[str]:
    """Take away everything of the lab node in ``folder`` (running or left by a run that is gone); return what
    was stopped. Only what its ``labnode.json`` names is touched."""
    state_path = folder / STATE_FILE
    if not state_path.is_file():
        shutil.rmtree(folder, ignore_errors=True)
        return []
    state = json.loads(state_path.read_text())
    layout = Layout(folder, short=Path(state["short"]))
    recorded = {p.name: p for p in processes.recorded(layout.pids)}
    stopped: list[str] = []
    # The kubelet first, so it does not start again what is being removed.
    if "kubelet" in recorded and processes.stop_started(recorded["kubelet"], grace=5):
        stopped.append("kubelet")
    crictl = binaries.installed("crictl")
    if crictl is not None and "containerd" in recorded and recorded["containerd"].running:
        remove_pods = [str(crictl), "--runtime-endpoint", f"unix://{state['socket']}", "rmp", "--all", "--force"]
        processes.run(remove_pods, timeout=60, capture_output=True, check=False)
    for name in ("kube-proxy", "containerd"):
        if name in recorded and processes.stop_started(recorded[name], grace=5):
            stopped.append(name)
    socket = state["socket"]
    shims = processes.stop_matching(lambda cmd: "containerd-shim" in cmd[0] and socket in " ".join(cmd))
    stopped += [f"containerd-shim (pid {pid})" for pid in shims]
    book_node._remove_pod_cgroups(state["cgroup_root"])
    network.unmount_all(folder)
    network.unmount_all(Path(state["short"]))
    # Deleting the namespace takes its end of the veth pair, its bridge and its iptables rules with it.
    _run(["ip", "netns", "del", state["netns"]], check=False)
    if _run(["ip", "link", "show", state["veth"]], check=False).returncode == 0:
        _run(["ip", "link", "del", state["veth"]], check=False)
    if admin_kubeconfig is not None and admin_kubeconfig.is_file():
        try:
            book_node._core_api(admin_kubeconfig).delete_node(state["name"], _request_timeout=5)
        except Exception:  # noqa: BLE001 - the control plane may be gone already, and the Node object with it
            pass
    shutil.rmtree(state["short"], ignore_errors=True)
    with contextlib.suppress(OSError):
        Path(state["short"]).parent.rmdir()  # /run/threeplanes, once no lab node is left
    for _ in range(20):
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            break
        time.sleep(0.1)
    return stopped


def left_in(folder: Path) -> list[str]:
    """What the lab node in ``folder`` has left on this machine: live processes, its namespace, its veth."""
    state_path = folder / STATE_FILE
    if not state_path.is_file():
        return []
    state = json.loads(state_path.read_text())
    left = [f"process {p.pid} ({p.name})" for p in processes.recorded(Layout(folder).pids) if p.running]
    if Path(state["short"]).exists():
        left.append(f"folder {state['short']}")
    if state["netns"] in _run(["ip", "netns", "list"], check=False).stdout.split():
        left.append(f"network namespace {state['netns']}")
    if _run(["ip", "link", "show", state["veth"]], check=False).returncode == 0:
        left.append(f"veth {state['veth']}")
    return left
