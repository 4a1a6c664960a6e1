"""One real worker node beside the simulated ones: containerd, the kubelet, kube-proxy, CNI and CoreDNS.

The local backend starts it after kwokctl's control plane (``threeplanes cluster up``) wherever the
machine allows: Linux, root, the binaries built or cached, runc, iptables and the CNI plugins
installed, its ports free. Where it cannot, ``start_if_possible`` says why in one line and the
cluster goes on with the simulated nodes only. ``THREEPLANES_REAL_NODE=0`` turns it off.

Its processes run on this host, started by threeplanes and stopped by PID; its state and logs live
under ``<cache>/realnode/``. The node is labelled ``threeplanes.io/node=real`` and tainted
``threeplanes.io/real-node=true:NoSchedule``, so only pods that ask for it (``on_real_node``) land
there. kwok leaves it alone: kwok manages only nodes labelled ``kwok.x-k8s.io/node=fake``.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from threeplanes.errors import ProvisioningError
from threeplanes.provision import binaries, kubectl, processes
from threeplanes.provision.nodes import node_is_ready, placement
from threeplanes.provision.realnode import configs, images, network, pki
from threeplanes.provision.realnode.configs import BOOK_NODE, NODE_LABEL, NODE_NAME, NODE_TAINT, Layout, NodeSpec
from threeplanes.provision.say import log

__all__ = [
    "NODE_NAME",
    "NODE_LABEL",
    "NODE_TAINT",
    "on_real_node",
    "real_node_is_ready",
    "start_node",
    "stop_node",
    "node_processes",
    "why_not",
]

ENABLE_ENV = "THREEPLANES_REAL_NODE"
START_ORDER = ("containerd", "kubelet", "kube-proxy", "coredns")
READY_TIMEOUT = 120.0


# --- For the labs ------------------------------------------------------------------------------


def on_real_node(pod_spec: dict) -> dict:
    """A copy of ``pod_spec`` (a PodSpec as a dict) that lands on the real node and pulls nothing.

    It adds the node's label as a nodeSelector, a toleration for its taint, and
    ``imagePullPolicy: IfNotPresent`` to every container (the images were imported, not pulled).
    """
    spec = copy.deepcopy(pod_spec)
    there = placement(dict([NODE_LABEL]), NODE_TAINT)
    spec["nodeSelector"] = {**(spec.get("nodeSelector") or {}), **there["nodeSelector"]}
    spec["tolerations"] = [*(spec.get("tolerations") or []), *there["tolerations"]]
    for key in ("containers", "initContainers"):
        for container in spec.get(key) or []:
            container["imagePullPolicy"] = "IfNotPresent"
    return spec


def real_node_is_ready(core_api) -> bool:
    """True when the real node is registered and Ready (``core_api`` is a ``kubernetes.client.CoreV1Api``)."""
    from kubernetes.client.exceptions import ApiException

    try:
        node = core_api.read_node(NODE_NAME, _request_timeout=10)
    except ApiException:
        return False
    return node_is_ready(node)


# --- Can it run here? --------------------------------------------------------------------------


def turned_off() -> bool:
    return os.environ.get(ENABLE_ENV, "1").strip().lower() in ("0", "false", "no", "off")


def binaries_wanted() -> bool:
    """Whether provisioning gets the real node's binaries too: on Linux, unless turned off."""
    return sys.platform == "linux" and not turned_off()


def why_not() -> str | None:
    """Why this machine cannot run the real node before any binary is built, or None."""
    if turned_off():
        return f"turned off by {ENABLE_ENV}={os.environ[ENABLE_ENV]}"
    if sys.platform != "linux":
        return f"real containers need Linux (this is {sys.platform})"
    missing = tools_missing()
    if missing is not None:
        return missing
    for port, host in (
        (configs.KUBELET_PORT, configs.GATEWAY),
        (configs.KUBELET_HEALTHZ_PORT, "127.0.0.1"),
        (configs.KUBE_PROXY_METRICS_PORT, "127.0.0.1"),
        (configs.KUBE_PROXY_HEALTHZ_PORT, "127.0.0.1"),
        (configs.COREDNS_READY_PORT, "127.0.0.1"),
        (configs.DNS_PORT, configs.GATEWAY),
    ):
        if processes.port_taken(port, host):
            return f"port {port} is taken on this machine (is another kubelet or DNS server running?)"
    return None


def tools_missing(tools: tuple[tuple[str, str], ...] = ()) -> str | None:
    """What this machine lacks to run a real node (root, a tool, a CNI plugin, busybox), in one phrase, or None.

    ``tools`` adds ``(program, Debian package)`` pairs to the ones every real node needs."""
    if os.geteuid() != 0:
        return "the kubelet and containerd need root (run `sudo make cluster`)"
    needed = (("runc", "runc"), ("iptables", "iptables"), ("ip", "iproute2"), ("openssl", "openssl"), *tools)
    for tool, package in needed:
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            return f"{tool} is missing (install Debian's {package}; scripts/system-deps.sh does with REAL_NODE=1)"
    for plugin in configs.CNI_PLUGINS:
        if not any((Path(d) / plugin).is_file() for d in configs.CNI_BIN_DIRS):
            places = ", ".join(configs.CNI_BIN_DIRS)
            return f"the CNI plugin {plugin} is missing from {places} (install Debian's containernetworking-plugins)"
    if not images.BUSYBOX.is_file():
        return f"{images.BUSYBOX} is missing (install Debian's busybox-static)"
    return None


# --- Start -------------------------------------------------------------------------------------


@dataclass
class NodeStarted:
    """The real node, Ready ``seconds`` after its start began (0 when it was already running)."""

    node: str
    seconds: float


def start_if_possible(admin_kubeconfig: Path, cluster_pki: Path) -> NodeStarted | None:
    """Start the real node, or print one line saying why not; never raises, so the simulated cluster stays up."""
    reason = why_not()
    if reason is None:
        try:
            found = binaries.ensure_node()
        except ProvisioningError as error:
            reason = f"a binary is missing and could not be built ({str(error).splitlines()[0]})"
    if reason is not None:
        log("real-node", f"no real node: {reason}; going on with the simulated nodes only")
        return None
    try:
        return start_node(found, admin_kubeconfig, cluster_pki)
    except Exception as error:  # noqa: BLE001 - whatever fails here, the simulated cluster must still come up
        known = isinstance(error, ProvisioningError)  # its message names the cause; anything else is shown whole
        cause = str(error).splitlines()[0] if known else f"{type(error).__name__}: {error}"
        log("real-node", f"no real node: {cause}; going on with the simulated nodes only")
        try:
            stop_node(admin_kubeconfig)
        except Exception as cleanup_error:  # noqa: BLE001 - the cluster must come up whatever the clean-up says
            log("real-node", f"cleaning up the failed real node also failed: {cleanup_error}")
        return None


def start_node(found: dict[str, Path], admin_kubeconfig: Path, cluster_pki: Path) -> NodeStarted:
    """Start containerd, the kubelet, kube-proxy and CoreDNS, and wait for the node to be Ready."""
    layout = Layout.default()
    if node_running():
        log("real-node", f"the real node's processes are already running (state: {layout.root})")
        return NodeStarted(NODE_NAME, 0.0)
    if processes.recorded(layout.pids) or layout.containerd.exists():
        log("real-node", "a stopped or half-started real node was left behind; removing it first")
        stop_node(admin_kubeconfig)
    started_at = time.monotonic()
    versions = binaries.pinned()
    _write_files(layout, admin_kubeconfig, cluster_pki, versions.images["pause"])

    network.set_sysctls(layout.state_file)
    _create_cgroup_root()
    network.create_bridge()
    network.install_guard()

    bin_path = os.pathsep.join(sorted({str(p.parent) for p in found.values()}))
    env = {"PATH": f"{bin_path}{os.pathsep}{os.environ.get('PATH', '')}{os.pathsep}/usr/sbin:/sbin"}
    containerd = processes.start(
        "containerd",
        [str(found["containerd"]), "--config", str(layout.file("containerd.toml"))],
        layout.pids,
        layout.logs,
        env,
    )
    _wait(
        lambda: _ctr(found, layout, ["version"], check=False).returncode == 0,
        20,
        f"containerd did not answer on {layout.containerd_socket}",
        containerd,
    )
    _import_images(found, layout, versions.images)

    kubelet = processes.start(
        "kubelet",
        [
            str(found["kubelet"]),
            f"--config={layout.file('kubelet.yaml')}",
            f"--kubeconfig={layout.file('kubelet.kubeconfig')}",
            f"--root-dir={layout.kubelet_root}",
            f"--hostname-override={NODE_NAME}",
            f"--node-ip={configs.GATEWAY}",
            "--node-labels=" + ",".join(f"{k}={v}" for k, v in configs.NODE_LABELS.items()),
            "--v=1",
        ],
        layout.pids,
        layout.logs,
        env,
    )
    api = _core_api(admin_kubeconfig)
    _wait(lambda: real_node_is_ready(api), READY_TIMEOUT, f"the kubelet did not register {NODE_NAME} as Ready", kubelet)
    ready_after = time.monotonic() - started_at

    kube_proxy = processes.start(
        "kube-proxy",
        [str(found["kube-proxy"]), f"--config={layout.file('kube-proxy.yaml')}", "--v=1"],
        layout.pids,
        layout.logs,
        env,
    )
    healthz = f"http://127.0.0.1:{configs.KUBE_PROXY_HEALTHZ_PORT}/healthz"
    _wait(lambda: _http_ok(healthz), 30, "kube-proxy did not report healthy", kube_proxy)
    network.install_guard()  # first again, ahead of the jumps kube-proxy has just inserted
    coredns = processes.start(
        "coredns", [str(found["coredns"]), "-conf", str(layout.file("Corefile"))], layout.pids, layout.logs, env
    )
    _wait(lambda: _http_ok(f"http://127.0.0.1:{configs.COREDNS_READY_PORT}/ready"), 30, "CoreDNS is not ready", coredns)
    _apply(admin_kubeconfig, configs.kube_dns_objects())
    log(
        "real-node",
        f"{NODE_NAME} Ready {ready_after:.1f} s after the control plane; kube-proxy and CoreDNS "
        f"({configs.CLUSTER_DNS} -> {configs.GATEWAY}) up in {time.monotonic() - started_at:.1f} s; "
        f"logs in {layout.logs}",
    )
    return NodeStarted(NODE_NAME, ready_after)


def _write_files(
    layout: Layout,
    admin_kubeconfig: Path,
    cluster_pki: Path,
    pause_image: str,
    spec: NodeSpec = BOOK_NODE,
    server: str | None = None,
    tls_server_name: str | None = None,
) -> None:
    """The node's certificates, kubeconfigs and configuration files; ``server`` (default: the admin
    kubeconfig's) is where its components reach the API server, ``tls_server_name`` the name they check."""
    if server is None:
        server = yaml.safe_load(admin_kubeconfig.read_text())["clusters"][0]["cluster"]["server"]
    for directory in (
        layout.root,
        layout.logs,
        layout.pids,
        layout.pki,
        layout.cni_conf_dir,
        layout.pod_logs,
        layout.manifests,
    ):
        directory.mkdir(parents=True, exist_ok=True)
    for name in ("ca.crt", "ca.key"):
        if not (cluster_pki / name).is_file():
            raise ProvisioningError(f"the cluster's CA {cluster_pki / name} is missing")
        shutil.copyfile(cluster_pki / name, layout.pki / name)
    pki.issue(
        layout.pki,
        layout.pki,
        "kubelet",
        f"/O=system:nodes/CN=system:node:{spec.name}",
        "serverAuth",
        ip_sans=(spec.node_ip, "127.0.0.1"),
        dns_sans=(spec.name,),
    )
    pki.issue(layout.pki, layout.pki, "kubelet-client", f"/O=system:nodes/CN=system:node:{spec.name}", "clientAuth")
    pki.issue(layout.pki, layout.pki, "kube-proxy", "/CN=system:kube-proxy", "clientAuth")
    (layout.pki / "ca.key").unlink()  # the node needs no signing key once its certificates exist

    ca = layout.pki / "ca.crt"
    for name, cert, user in (
        ("kubelet", "kubelet-client", f"system:node:{spec.name}"),
        ("kube-proxy", "kube-proxy", "system:kube-proxy"),
    ):
        crt, key = layout.pki / f"{cert}.crt", layout.pki / f"{cert}.key"
        config = configs.kubeconfig(server, ca, crt, key, user, tls_server_name)
        layout.file(f"{name}.kubeconfig").write_text(yaml.safe_dump(config))
    layout.file("containerd.toml").write_text(configs.containerd_config(layout, pause_image, spec=spec))
    layout.file("kubelet.yaml").write_text(yaml.safe_dump(configs.kubelet_config(layout, spec)))
    layout.file("kube-proxy.yaml").write_text(yaml.safe_dump(configs.kube_proxy_config(layout, spec)))
    layout.file("resolv.conf").write_text(configs.resolv_conf())
    cni = json.dumps(configs.cni_config(layout, spec), indent=2)
    (layout.cni_conf_dir / "10-threeplanes.conflist").write_text(cni)
    # CoreDNS, a host process, reads Services and EndpointSlices with the cluster's admin kubeconfig.
    layout.file("Corefile").write_text(configs.corefile(admin_kubeconfig))


def _ctr(
    found: dict[str, Path], layout: Layout, args: list[str], check: bool = True, timeout: float = 60
) -> processes.CompletedProcess:
    command = [str(found["ctr"]), "--address", str(layout.containerd_socket), "--namespace", "k8s.io", *args]
    return processes.run(command, timeout=timeout, what=f"`ctr {' '.join(args[:2])}`", capture_output=True, check=check)


def _import_images(
    found: dict[str, Path], layout: Layout, pinned_images: dict[str, str], archives: Path | None = None
) -> None:
    """Build the pause, agnhost and busybox images and import them under their pinned names.

    ``archives`` (default: the node's own ``images`` folder) is where the image archives are written;
    one that is already there is imported as it is (the same inputs give the same archive).
    """
    folder = archives if archives is not None else layout.root / "images"
    for image in _image_archives(found, folder, pinned_images, reuse=archives is not None):
        archive = folder / (image.reference.rsplit("/", 1)[1].replace(":", "_") + ".tar")
        if not (archives is not None and archive.is_file()):
            tmp = archive.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(images.oci_archive(image))
            tmp.replace(archive)
        _ctr(found, layout, ["images", "import", "--snapshotter", "overlayfs", str(archive)], timeout=180)
        # A pinned image is never removed by the kubelet's image garbage collection.
        _ctr(found, layout, ["images", "label", image.reference, "io.cri-containerd.pinned=pinned"])


def _image_archives(
    found: dict[str, Path], folder: Path, pinned_images: dict[str, str], reuse: bool
) -> list[images.Image]:
    """The three images to import; pause is compiled unless ``reuse`` and its archive is already in ``folder``."""
    names = {key: folder / (pinned_images[key].rsplit("/", 1)[1].replace(":", "_") + ".tar") for key in pinned_images}
    pause_binary = folder / "pause"
    if not (reuse and names["pause"].is_file()):
        version = pinned_images["pause"].split(":")[1]
        images.compile_pause(_pause_source(), pause_binary, version)
    return [
        images.pause_image(pinned_images["pause"], pause_binary),
        images.agnhost_image(pinned_images["web"], found["agnhost"]),
        images.busybox_image(pinned_images["busybox"]),
    ]


def _pause_source() -> Path:
    """kubernetes' pause.c at the pinned release, from the Go module cache (downloaded if needed)."""
    directory = binaries.module_dir("k8s.io/kubernetes", f"v{binaries.pinned().kubernetes}")
    source = directory / "build" / "pause" / "linux" / "pause.c"
    if not source.is_file():
        raise ProvisioningError(f"{source} is missing from the kubernetes module")
    return source


def _core_api(admin_kubeconfig: Path):
    from kubernetes import client, config

    configuration = client.Configuration()
    config.load_kube_config(config_file=str(admin_kubeconfig), client_configuration=configuration)
    configuration.retries = False
    return client.CoreV1Api(client.ApiClient(configuration))


def _apply(admin_kubeconfig: Path, objects: list[dict]) -> None:
    manifest = json.dumps({"apiVersion": "v1", "kind": "List", "items": objects})
    kubectl.run_kubectl(
        ["apply", "--server-side", "--force-conflicts", "-f", "-"],
        kubeconfig=admin_kubeconfig,
        timeout=60,
        input=manifest,
        what="`kubectl apply` of the kube-dns Service",
    )


def _http_ok(url: str) -> bool:
    import urllib.error
    import urllib.request

    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # a local address: never through a proxy
    try:
        with direct.open(url, timeout=2) as reply:
            return reply.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _wait(condition, timeout: float, failure: str, process: processes.Started) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if not process.running:
            raise ProvisioningError(f"{process.name} exited; {failure} (log: {process.log})")
        time.sleep(0.5)
    raise ProvisioningError(f"{failure} within {timeout:.0f} s (log: {process.log})")


# --- Stop --------------------------------------------------------------------------------------


@dataclass
class Stopped:
    processes: list[str]
    mounts: list[str]
    chains: dict[str, list[str]]


def stop_node(admin_kubeconfig: Path | None = None) -> Stopped:
    """Stop every process the node started (by PID), its pods' containers, and remove its network state."""
    layout = Layout.default()
    recorded = {p.name: p for p in processes.recorded(layout.pids)}
    stopped: list[str] = []
    # Only a node started here has anything to remove: without its records, the KUBE-* chains, mounts and
    # cgroups on this machine belong to someone else.
    if sys.platform != "linux" or os.geteuid() != 0 or not (recorded or layout.state_file.exists()):
        return Stopped(stopped, [], {})
    # The kubelet first, so it does not restart what is being removed.
    if "kubelet" in recorded and processes.stop_started(recorded["kubelet"]):
        stopped.append("kubelet")
    crictl = binaries.installed("crictl")
    if crictl is not None and "containerd" in recorded and recorded["containerd"].running:
        endpoint = f"unix://{layout.containerd_socket}"
        # Removing the pod sandboxes stops their containers and runs CNI DEL for each; what a failure leaves,
        # the sweep of the node's cgroups below kills.
        remove_pods = [str(crictl), "--runtime-endpoint", endpoint, "rmp", "--all", "--force"]
        processes.run(remove_pods, timeout=120, capture_output=True, check=False)
    for name in ("kube-proxy", "coredns", "containerd"):
        if name in recorded and processes.stop_started(recorded[name]):
            stopped.append(name)
    # containerd's shims outlive containerd; each names this node's socket on its command line.
    socket = str(layout.containerd_socket)
    shims = processes.stop_matching(lambda cmd: "containerd-shim" in cmd[0] and socket in " ".join(cmd))
    stopped += [f"containerd-shim (pid {pid})" for pid in shims]
    _remove_pod_cgroups()
    mounts = network.unmount_all(layout.root)
    chains = network.owned_chains()
    kube_proxy = binaries.installed("kube-proxy")
    if kube_proxy is not None:
        # Whatever it fails to remove, the removal of the owned chains just below takes.
        processes.run([str(kube_proxy), "--cleanup"], timeout=60, capture_output=True, check=False)
    network.remove_owned_chains()
    network.delete_bridge()
    network.restore_sysctls(layout.state_file)
    if admin_kubeconfig is not None and admin_kubeconfig.is_file():
        _delete_node_object(admin_kubeconfig)
    # Everything goes but the logs, which a failed start names for reading.
    for entry in layout.root.iterdir() if layout.root.exists() else []:
        if entry != layout.logs:
            shutil.rmtree(entry, ignore_errors=True) if entry.is_dir() else entry.unlink(missing_ok=True)
    return Stopped(stopped, mounts, chains)


def _cgroup_roots(cgroup_root: str = configs.CGROUP_ROOT) -> list[Path]:
    """The node's cgroup root in every mounted hierarchy (on a hybrid host, the v1 controllers and ``unified``)."""
    root = Path("/sys/fs/cgroup")
    name = cgroup_root.strip("/")
    if (root / "cgroup.controllers").exists():  # cgroups v2 alone: one hierarchy, mounted at the root
        return [root / name]
    hierarchies = [c for c in sorted(root.iterdir()) if c.is_dir() and not c.is_symlink()]
    return [c / name for c in hierarchies if (c / "cgroup.procs").exists()]


def _create_cgroup_root(cgroup_root: str = configs.CGROUP_ROOT) -> None:
    """The kubelet wants its cgroup root to exist; cpuset needs its CPUs and memory nodes before any task joins."""
    for group in _cgroup_roots(cgroup_root):
        group.mkdir(exist_ok=True)
        for name in ("cpuset.cpus", "cpuset.mems"):
            own, parent = group / name, group.parent / name
            if own.exists() and not own.read_text().strip():
                own.write_text(parent.read_text())


def _remove_pod_cgroups(cgroup_root: str = configs.CGROUP_ROOT) -> None:
    """Kill what is left in the node's cgroups and remove them, deepest first."""
    for top in _cgroup_roots(cgroup_root) if Path("/sys/fs/cgroup").is_dir() else []:
        if not top.is_dir():
            continue
        groups = sorted((p for p in top.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True)
        for group in [*groups, top]:
            procs = group / "cgroup.procs"
            for line in procs.read_text().split() if procs.exists() else []:
                try:
                    os.kill(int(line), 9)
                except (ProcessLookupError, PermissionError, ValueError):
                    pass
        for group in [*groups, top]:
            for _ in range(20):
                try:
                    group.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.1)


def _delete_node_object(admin_kubeconfig: Path) -> None:
    try:
        _core_api(admin_kubeconfig).delete_node(NODE_NAME, _request_timeout=10)
    except Exception:  # noqa: BLE001 - the API may already be gone; the Node object goes with it
        pass


# --- Status ------------------------------------------------------------------------------------


def node_processes() -> list[processes.Started]:
    """The node's recorded processes, running or not."""
    return processes.recorded(Layout.default().pids)


def node_running() -> bool:
    """True when every process of the real node runs."""
    recorded = {p.name: p.running for p in node_processes()}
    return all(recorded.get(name) for name in START_ORDER)
