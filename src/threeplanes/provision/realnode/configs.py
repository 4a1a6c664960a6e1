"""The real node's addresses, file layout and generated configuration files (pure functions, no side effects).

Every address stays on this machine: pods live on the bridge ``tp0`` (``10.244.0.0/24``), whose
gateway ``10.244.0.1`` is also the node's address and CoreDNS's; Services get addresses from
kube-apiserver's default range ``10.0.0.0/24`` (kwokctl passes no ``--service-cluster-ip-range``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from threeplanes.provision import paths

NODE_NAME = "real-worker"
NODE_LABEL = ("threeplanes.io/node", "real")
# The labels the kubelet registers the node with: it joins the simulated workers' first zone, so the
# cluster still spans two zones, and its taint keeps every pod that does not ask for it away.
NODE_LABELS = {
    NODE_LABEL[0]: NODE_LABEL[1],
    "topology.kubernetes.io/region": "local",
    "topology.kubernetes.io/zone": "zone-a",
}
NODE_TAINT = {"key": "threeplanes.io/real-node", "value": "true", "effect": "NoSchedule"}

BRIDGE = "tp0"
POD_CIDR = "10.244.0.0/24"
GATEWAY = "10.244.0.1"  # the bridge's address: the node's InternalIP, the kubelet's and CoreDNS's listening address
SERVICE_CIDR = "10.0.0.0/24"  # kube-apiserver's default --service-cluster-ip-range
CLUSTER_DNS = "10.0.0.10"
CLUSTER_DOMAIN = "cluster.local"
MTU = 1400  # the host's eth0 MTU on the machines this runs on; the bridge must not exceed it
CNI_NETWORK = "threeplanes-pods"

KUBELET_PORT = 10250
KUBELET_HEALTHZ_PORT = 10248
KUBE_PROXY_METRICS_PORT = 10249
KUBE_PROXY_HEALTHZ_PORT = 10256
COREDNS_READY_PORT = 10281  # CoreDNS's `ready` plugin, on 127.0.0.1
DNS_PORT = 53

# The kubelet's cgroup root (cgroupfs driver, cgroups v1): pods' cgroups go under <controller>/threeplanes-realnode/,
# so that clean-up never touches the cgroups of another kubelet on the machine.
CGROUP_ROOT = "/threeplanes-realnode"

CNI_BIN_DIRS = ("/usr/lib/cni", "/opt/cni/bin")  # Debian's containernetworking-plugins, then the upstream place
CNI_PLUGINS = ("bridge", "host-local", "loopback", "portmap")


@dataclass(frozen=True)
class NodeSpec:
    """What tells one real node from another: its name, labels, addresses, bridge, cgroup root and runc state.

    The defaults are the book's node. A lab's own real node (``realnode.labnode``) lives in a network
    namespace of its own, so its ports may be the same numbers; its address (``node_ip``) is its end
    of a veth pair and its pods get another range on a bridge of that namespace.
    """

    name: str = NODE_NAME
    labels: MappingProxyType = field(default_factory=lambda: MappingProxyType(dict(NODE_LABELS)))
    bridge: str = BRIDGE
    pod_cidr: str = POD_CIDR
    gateway: str = GATEWAY  # the bridge's address
    node_ip: str = GATEWAY  # the node's InternalIP, where its kubelet listens
    cgroup_root: str = CGROUP_ROOT
    runc_root: str | None = None  # runc's state folder; None: runc's default (/run/containerd/runc)


BOOK_NODE = NodeSpec()


@dataclass(frozen=True)
class Layout:
    """Where the real node keeps its state, logs and generated files.

    ``short`` is where what holds unix sockets goes (containerd's sockets, the kubelet's root) when
    ``root`` is too deep for a socket's path (containerd allows 104 bytes); by default, under ``root``.
    """

    root: Path
    short: Path | None = None

    @classmethod
    def default(cls) -> Layout:
        return cls(paths.cache_root() / "realnode")

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def pids(self) -> Path:
        return self.root / "pids"

    @property
    def pki(self) -> Path:
        return self.root / "pki"

    @property
    def containerd(self) -> Path:
        return self.root / "containerd"

    @property
    def containerd_socket(self) -> Path:
        return (self.short if self.short is not None else self.containerd) / "containerd.sock"

    @property
    def kubelet_root(self) -> Path:
        return (self.short if self.short is not None else self.root) / "kubelet"

    @property
    def pod_logs(self) -> Path:
        return self.root / "pod-logs"

    @property
    def manifests(self) -> Path:
        """The kubelet's ``staticPodPath``: every pod manifest in this folder runs as a static pod."""
        return self.root / "manifests"

    @property
    def cni_conf_dir(self) -> Path:
        return self.root / "cni" / "net.d"

    @property
    def cni_ipam_dir(self) -> Path:
        return self.root / "cni" / "ipam"

    @property
    def state_file(self) -> Path:
        """What ``up`` changed on the host (sysctls' earlier values), for ``down`` to restore."""
        return self.root / "host-state.json"

    def file(self, name: str) -> Path:
        return self.root / name


def containerd_config(
    layout: Layout, pause_image: str, cni_bin_dirs: tuple[str, ...] = CNI_BIN_DIRS, spec: NodeSpec = BOOK_NODE
) -> str:
    """containerd 2's configuration (version 3): its own root, state and socket, and the CRI plugin for the kubelet."""
    c = layout.containerd
    bin_dirs = ", ".join(json.dumps(d) for d in cni_bin_dirs)
    runc_root = "" if spec.runc_root is None else f'\n  Root = "{spec.runc_root}"'
    return f"""# Generated by threeplanes for the real node; rewritten on every start.
version = 3
root = "{c / "root"}"
state = "{c / "state"}"
# NRI would open a socket under /var/run/nri, outside this node's directory; nothing here uses it.
disabled_plugins = ["io.containerd.nri.v1.nri"]

[grpc]
  address = "{layout.containerd_socket}"

[ttrpc]
  address = "{layout.containerd_socket}.ttrpc"

[debug]
  address = ""

[metrics]
  address = ""

[plugins.'io.containerd.internal.v1.opt']
  path = "{c / "opt"}"

[plugins.'io.containerd.cri.v1.images']
  snapshotter = "overlayfs"

[plugins.'io.containerd.cri.v1.images'.pinned_images]
  sandbox = "{pause_image}"

[plugins.'io.containerd.cri.v1.runtime']
  # Without CAP_SYS_RESOURCE containerd may not lower a container's oom_score_adj below its own,
  # and every pod sandbox would fail; restricting keeps the score at or above containerd's.
  restrict_oom_score_adj = true
  # The network namespaces of pods are mounted under this node's state, not /var/run/netns.
  netns_mounts_under_state_dir = true

[plugins.'io.containerd.cri.v1.runtime'.cni]
  bin_dirs = [{bin_dirs}]
  conf_dir = "{layout.cni_conf_dir}"
  max_conf_num = 1

[plugins.'io.containerd.cri.v1.runtime'.containerd]
  default_runtime_name = "runc"

[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
  # cgroups v1 managed through cgroupfs, as the kubelet's cgroupDriver says: systemd is not PID 1 here.
  SystemdCgroup = false{runc_root}
"""


def cni_config(layout: Layout, spec: NodeSpec = BOOK_NODE) -> dict:
    """The pod network: a Linux bridge with host-local addresses, masquerade out, and hostPorts."""
    return {
        "cniVersion": "1.0.0",
        "name": CNI_NETWORK,
        "plugins": [
            {
                "type": "bridge",
                "bridge": spec.bridge,
                "isGateway": True,
                "ipMasq": True,
                "hairpinMode": True,
                "mtu": MTU,
                "ipam": {
                    "type": "host-local",
                    "dataDir": str(layout.cni_ipam_dir),
                    "ranges": [[{"subnet": spec.pod_cidr, "gateway": spec.gateway}]],
                    "routes": [{"dst": "0.0.0.0/0"}],
                },
            },
            {"type": "portmap", "capabilities": {"portMappings": True}},
        ],
    }


def kubelet_config(layout: Layout, spec: NodeSpec = BOOK_NODE) -> dict:
    """The KubeletConfiguration (kubelet.config.k8s.io/v1beta1) of the real node."""
    pki = layout.pki
    return {
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        # This machine has cgroups v1 and no systemd as PID 1: cgroupfs, and v1 explicitly allowed.
        "cgroupDriver": "cgroupfs",
        "failCgroupV1": False,
        "cgroupRoot": spec.cgroup_root,
        "containerRuntimeEndpoint": f"unix://{layout.containerd_socket}",
        "address": spec.node_ip,
        "port": KUBELET_PORT,
        "readOnlyPort": 0,
        "healthzBindAddress": "127.0.0.1",
        "healthzPort": KUBELET_HEALTHZ_PORT,
        "tlsCertFile": str(pki / "kubelet.crt"),
        "tlsPrivateKeyFile": str(pki / "kubelet.key"),
        "authentication": {
            "anonymous": {"enabled": False},
            "webhook": {"enabled": True},
            "x509": {"clientCAFile": str(pki / "ca.crt")},
        },
        "authorization": {"mode": "Webhook"},
        "clusterDNS": [CLUSTER_DNS],
        "clusterDomain": CLUSTER_DOMAIN,
        # Not the host's resolv.conf, whose resolver is off this machine: pods with dnsPolicy Default ask CoreDNS too.
        "resolvConf": str(layout.file("resolv.conf")),
        "registerWithTaints": [NODE_TAINT],
        "podLogsDir": str(layout.pod_logs),
        "staticPodPath": str(layout.manifests),
        "failSwapOn": False,
        # The kubelet's default. The tests run many labs and checkers on this node side by side, and a pod that
        # is still terminating keeps its place; 30 was too few (pods stayed Pending: "Too many pods").
        "maxPods": 110,
        # The images were imported, not pulled: garbage collection must never remove them.
        "imageGCHighThresholdPercent": 100,
        "imageGCLowThresholdPercent": 99,
        "evictionHard": {
            "memory.available": "100Mi",
            "nodefs.available": "1%",
            "imagefs.available": "1%",
            "nodefs.inodesFree": "1%",
        },
        "rotateCertificates": False,
        "serverTLSBootstrap": False,
        "nodeStatusUpdateFrequency": "4s",
        "shutdownGracePeriod": "0s",
    }


def kube_proxy_config(layout: Layout, spec: NodeSpec = BOOK_NODE) -> dict:
    """The KubeProxyConfiguration (kubeproxy.config.k8s.io/v1alpha1) of the real node."""
    return {
        "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
        "kind": "KubeProxyConfiguration",
        "mode": "iptables",  # the Linux default, said explicitly (kube-proxy warns when no mode is set)
        "hostnameOverride": spec.name,
        "clusterCIDR": spec.pod_cidr,
        "bindAddress": spec.node_ip,
        "metricsBindAddress": f"127.0.0.1:{KUBE_PROXY_METRICS_PORT}",
        "healthzBindAddress": f"127.0.0.1:{KUBE_PROXY_HEALTHZ_PORT}",
        "nodePortAddresses": [f"{spec.node_ip}/32"],
        "clientConnection": {"kubeconfig": str(layout.file("kube-proxy.kubeconfig"))},
        # Leave the host's conntrack sysctls alone.
        "conntrack": {"maxPerCore": 0, "min": 0, "tcpEstablishedTimeout": "0s", "tcpCloseWaitTimeout": "0s"},
    }


def corefile(kubeconfig: Path) -> str:
    """CoreDNS answers the cluster's names only; no query is forwarded off this machine."""
    return f""".:{DNS_PORT} {{
    bind {GATEWAY}
    errors
    ready 127.0.0.1:{COREDNS_READY_PORT}
    kubernetes {CLUSTER_DOMAIN} in-addr.arpa ip6.arpa {{
        kubeconfig {kubeconfig}
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }}
    cache 5
}}
"""


def resolv_conf() -> str:
    return f"nameserver {GATEWAY}\n"


def kubeconfig(server: str, ca: Path, cert: Path, key: Path, user: str, tls_server_name: str | None = None) -> dict:
    """A kubeconfig for one of the node's components, authenticating with a client certificate.

    ``tls_server_name`` is the name the API server's certificate is checked against when ``server``'s
    address is not among its names (a lab's own node reaches its API server through a veth address).
    """
    cluster = {"server": server, "certificate-authority": str(ca)}
    if tls_server_name is not None:
        cluster["tls-server-name"] = tls_server_name
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "threeplanes", "cluster": cluster}],
        "users": [{"name": user, "user": {"client-certificate": str(cert), "client-key": str(key)}}],
        "contexts": [{"name": user, "context": {"cluster": "threeplanes", "user": user}}],
        "current-context": user,
    }


def kube_dns_objects(namespace: str = "kube-system") -> list[dict]:
    """The ``kube-dns`` Service at the kubelet's clusterDNS address, and the EndpointSlice that sends it to CoreDNS.

    CoreDNS runs as a host process on the bridge's gateway, so the Service has no selector and
    threeplanes manages its EndpointSlice.
    """
    ports = [("dns", "UDP"), ("dns-tcp", "TCP")]
    labels = {"k8s-app": "kube-dns", "kubernetes.io/name": "CoreDNS", "app.kubernetes.io/managed-by": "threeplanes"}
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "kube-dns", "namespace": namespace, "labels": labels},
        "spec": {
            "clusterIP": CLUSTER_DNS,
            "ports": [{"name": n, "protocol": p, "port": DNS_PORT, "targetPort": DNS_PORT} for n, p in ports],
        },
    }
    slice_ = {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": "kube-dns-coredns",
            "namespace": namespace,
            "labels": {
                "kubernetes.io/service-name": "kube-dns",
                "endpointslice.kubernetes.io/managed-by": "realnode.threeplanes.io",
                "app.kubernetes.io/managed-by": "threeplanes",
            },
        },
        "addressType": "IPv4",
        "endpoints": [{"addresses": [GATEWAY], "conditions": {"ready": True}, "nodeName": NODE_NAME}],
        "ports": [{"name": n, "protocol": p, "port": DNS_PORT} for n, p in ports],
    }
    return [service, slice_]
