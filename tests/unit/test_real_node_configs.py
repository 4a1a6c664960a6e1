"""The real node without a cluster: its generated configuration files, images, pod placement and build plans."""

from __future__ import annotations

import io
import ipaddress
import json
import tarfile
import tomllib
from pathlib import Path

import pytest

from threeplanes.provision import binaries, realnode
from threeplanes.provision.realnode import configs, images, network
from threeplanes.versions import pinned


@pytest.fixture
def layout(tmp_path) -> configs.Layout:
    return configs.Layout(tmp_path / "realnode")


def test_the_kubelet_uses_cgroupfs_on_cgroups_v1(layout) -> None:
    config = configs.kubelet_config(layout)
    assert config["cgroupDriver"] == "cgroupfs"
    assert config["failCgroupV1"] is False
    assert config["cgroupRoot"] == configs.CGROUP_ROOT  # clean-up removes this subtree only
    assert config["containerRuntimeEndpoint"] == f"unix://{layout.containerd_socket}"
    assert config["authentication"]["anonymous"]["enabled"] is False
    assert config["authentication"]["x509"]["clientCAFile"].startswith(str(layout.root))
    assert config["clusterDNS"] == [configs.CLUSTER_DNS]
    assert config["registerWithTaints"] == [configs.NODE_TAINT]
    # Imported images must survive image garbage collection.
    assert config["imageGCHighThresholdPercent"] == 100


def test_containerd_restricts_oom_score_adj_and_keeps_its_state_in_the_node_directory(layout) -> None:
    text = configs.containerd_config(layout, pinned().images["pause"])
    config = tomllib.loads(text)
    runtime = config["plugins"]["io.containerd.cri.v1.runtime"]
    assert runtime["restrict_oom_score_adj"] is True
    assert runtime["containerd"]["runtimes"]["runc"]["options"]["SystemdCgroup"] is False
    assert runtime["cni"]["conf_dir"] == str(layout.cni_conf_dir)
    assert config["plugins"]["io.containerd.cri.v1.images"]["pinned_images"]["sandbox"] == pinned().images["pause"]
    assert config["version"] == 3
    for key in ("root", "state"):
        assert config[key].startswith(str(layout.root))
    assert config["grpc"]["address"] == str(layout.containerd_socket)


def test_the_pod_bridge_has_the_host_mtu_and_stays_in_the_pod_range(layout) -> None:
    config = configs.cni_config(layout)
    bridge = config["plugins"][0]
    assert bridge["type"] == "bridge" and bridge["mtu"] == 1400
    assert bridge["ipam"]["ranges"] == [[{"subnet": configs.POD_CIDR, "gateway": configs.GATEWAY}]]
    assert [p["type"] for p in config["plugins"]] == ["bridge", "portmap"]
    assert ipaddress.ip_address(configs.GATEWAY) in ipaddress.ip_network(configs.POD_CIDR)


def test_kube_proxy_says_its_mode(layout) -> None:
    config = configs.kube_proxy_config(layout)
    assert config["mode"] == "iptables"
    assert config["clusterCIDR"] == configs.POD_CIDR
    assert config["hostnameOverride"] == configs.NODE_NAME


def test_dns_answers_cluster_names_only() -> None:
    corefile = configs.corefile(Path("/k/admin.kubeconfig"))
    assert "forward" not in corefile  # no query leaves the machine
    assert f"bind {configs.GATEWAY}" in corefile and "kubeconfig /k/admin.kubeconfig" in corefile
    assert configs.resolv_conf() == f"nameserver {configs.GATEWAY}\n"
    service, slice_ = configs.kube_dns_objects()
    assert service["spec"]["clusterIP"] == configs.CLUSTER_DNS and "selector" not in service["spec"]
    assert ipaddress.ip_address(configs.CLUSTER_DNS) in ipaddress.ip_network(configs.SERVICE_CIDR)
    assert slice_["metadata"]["labels"]["kubernetes.io/service-name"] == "kube-dns"
    assert slice_["endpoints"][0]["addresses"] == [configs.GATEWAY]


def test_the_guard_rejects_private_destinations_not_on_the_bridge() -> None:
    for action in ("REJECT", "DROP"):
        rules = network.guard_rules(action)
        assert rules[:2] == [["-o", "lo", "-j", "RETURN"], ["-o", configs.BRIDGE, "-j", "RETURN"]]
        stopped = {r[r.index("-d") + 1] for r in rules if r[-1] == action}
        assert stopped == {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", configs.SERVICE_CIDR}
    # Only the last hook before a packet leaves drops a translated packet still bound for the Service range.
    assert ["-d", configs.SERVICE_CIDR, "-j", "DROP"] in network.guard_rules("DROP")
    assert ["-d", configs.SERVICE_CIDR, "-j", "REJECT"] not in network.guard_rules("REJECT")


def test_a_pod_spec_is_placed_on_the_real_node_without_pulling() -> None:
    spec = {"containers": [{"name": "web", "image": "x"}], "tolerations": [{"key": "other", "operator": "Exists"}]}
    placed = realnode.on_real_node(spec)
    assert placed["nodeSelector"] == {"threeplanes.io/node": "real"}
    assert {"key": "threeplanes.io/real-node", "operator": "Equal", "value": "true", "effect": "NoSchedule"} in (
        placed["tolerations"]
    )
    assert len(placed["tolerations"]) == 2
    assert placed["containers"][0]["imagePullPolicy"] == "IfNotPresent"
    assert "nodeSelector" not in spec and "imagePullPolicy" not in spec["containers"][0]  # the input is untouched


def test_an_oci_archive_names_the_pinned_reference(tmp_path) -> None:
    binary = tmp_path / "hello"
    binary.write_bytes(b"\x7fELF fake")
    image = images.Image("registry.k8s.io/pause:3.10.2", (images.ImageFile("pause", source=binary),), ("/pause",))
    archive = images.oci_archive(image)
    assert archive == images.oci_archive(image)  # reproducible
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        names = tar.getnames()
        index = json.load(tar.extractfile("index.json"))
        descriptor = index["manifests"][0]
        manifest = json.load(tar.extractfile(f"blobs/sha256/{descriptor['digest'].split(':')[1]}"))
        config = json.load(tar.extractfile(f"blobs/sha256/{manifest['config']['digest'].split(':')[1]}"))
        layer = tar.extractfile(f"blobs/sha256/{manifest['layers'][0]['digest'].split(':')[1]}").read()
    assert "oci-layout" in names
    assert descriptor["annotations"]["io.containerd.image.name"] == "registry.k8s.io/pause:3.10.2"
    assert config["config"]["Entrypoint"] == ["/pause"]
    assert config["rootfs"]["diff_ids"] == [manifest["layers"][0]["digest"]]
    with tarfile.open(fileobj=io.BytesIO(layer)) as tar:
        assert tar.extractfile("pause").read() == b"\x7fELF fake"


def test_the_node_binaries_are_built_from_pinned_modules() -> None:
    plans = {c.name: binaries.go_build_plan(c) for c in binaries.node_components() if c.name != "kubernetes-node"}
    assert plans["containerd"].module == "github.com/containerd/containerd/v2"
    assert plans["containerd"].version == f"v{pinned().containerd}" and pinned().containerd.startswith("2.")
    assert "no_btrfs" in plans["containerd"].tags and "no_devmapper" in plans["containerd"].tags
    assert plans["cri-tools"].packages == {"crictl": "sigs.k8s.io/cri-tools/cmd/crictl"}
    assert plans["coredns"].module == "github.com/coredns/coredns"
    assert plans["agnhost"].packages == {"agnhost": "k8s.io/kubernetes/test/images/agnhost"}
    assert plans["agnhost"].version == f"v{pinned().kubernetes}"


def test_the_agnhost_tag_is_the_version_built() -> None:
    # test/images/agnhost/VERSION at k8s.io/kubernetes v1.36.4 says 2.63.0.
    assert pinned().images["web"] == "registry.k8s.io/e2e-test-images/agnhost:2.63"


def test_turning_the_real_node_off(monkeypatch) -> None:
    monkeypatch.setenv(realnode.ENABLE_ENV, "0")
    assert realnode.why_not() == f"turned off by {realnode.ENABLE_ENV}=0"


def _node(name: str, simulated: bool, ready: bool, labels: dict[str, str]):
    from kubernetes import client

    kwok = {"kwok.x-k8s.io/node": "fake"} if simulated else {}
    condition = client.V1NodeCondition(type="Ready", status="True" if ready else "False")
    return client.V1Node(
        metadata=client.V1ObjectMeta(name=name, labels={**labels, **kwok}),
        status=client.V1NodeStatus(conditions=[condition]),
    )


class _Nodes:
    def __init__(self, nodes) -> None:
        self.nodes = nodes

    def list_node(self, label_selector: str = ""):
        from kubernetes import client

        key, _, value = label_selector.partition("=")
        chosen = [n for n in self.nodes if not key or (n.metadata.labels or {}).get(key) == value]
        return client.V1NodeList(items=chosen)


def _cluster(nodes):
    from kubernetes import client

    from threeplanes.kit.connect import Cluster

    cluster = Cluster(client.ApiClient(client.Configuration()), Path("k"), "ctx", "https://127.0.0.1", "v1.36.4")
    cluster.core = _Nodes(nodes)
    return cluster


REAL = {"threeplanes.io/node": "real"}


def test_can_show_is_true_once_the_real_node_is_ready(monkeypatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    cluster = _cluster([_node("worker-1", True, True, {}), _node("real-worker", False, True, REAL)])
    assert cluster.can_show("an HTTP reply") is True


def test_can_show_skips_with_a_note_where_no_real_node_is_ready(monkeypatch, capsys) -> None:
    monkeypatch.delenv("CI", raising=False)
    cluster = _cluster([_node("worker-1", True, True, {}), _node("real-worker", False, False, REAL)])
    assert cluster.can_show("an HTTP reply") is False
    assert "an HTTP reply needs real containers" in capsys.readouterr().out


def test_under_ci_a_cell_is_never_skipped(monkeypatch) -> None:
    from threeplanes.errors import ClusterUnavailable

    monkeypatch.setenv("CI", "true")
    cluster = _cluster([_node("worker-1", True, True, REAL)])  # a simulated node does not count, whatever its labels
    with pytest.raises(ClusterUnavailable, match="under CI a cell is never skipped"):
        cluster.can_show("an HTTP reply")


def test_without_root_the_reason_says_so(monkeypatch) -> None:
    monkeypatch.delenv(realnode.ENABLE_ENV, raising=False)
    monkeypatch.setattr(realnode.sys, "platform", "linux")
    monkeypatch.setattr(realnode.os, "geteuid", lambda: 1000)
    assert "need root" in realnode.why_not()


def test_off_linux_the_reason_names_the_platform(monkeypatch) -> None:
    monkeypatch.delenv(realnode.ENABLE_ENV, raising=False)
    monkeypatch.setattr(realnode.sys, "platform", "darwin")
    assert realnode.why_not() == "real containers need Linux (this is darwin)"
