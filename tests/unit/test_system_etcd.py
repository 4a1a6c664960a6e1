"""The system plane's etcd helpers, with no cluster: envelopes, key folders, etcdctl's arguments, held ports,
and the build of etcdctl and etcdutl."""

from __future__ import annotations

from pathlib import Path

import pytest

from threeplanes.errors import LabError
from threeplanes.kit import control_plane
from threeplanes.provision import binaries, paths
from threeplanes.system import etcd
from threeplanes.versions import pinned


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv(paths.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.delenv(binaries.BIN_DIR_ENV, raising=False)
    return tmp_path / "cache"


def field(number: int, payload: bytes) -> bytes:
    """One length-delimited protobuf field (numbers and lengths below 128 here)."""
    return bytes([number << 3 | 2, len(payload)]) + payload


def test_an_envelope_names_the_kind_and_holds_the_object() -> None:
    type_meta = field(1, b"v1") + field(2, b"ConfigMap")
    value = etcd.ENVELOPE_PREFIX + field(1, type_meta) + field(2, b"\x0a\x05hello") + field(4, b"")
    envelope = etcd.decode_envelope(value)
    assert (envelope.api_version, envelope.kind, envelope.raw) == ("v1", "ConfigMap", b"\x0a\x05hello")


def test_a_json_value_is_not_taken_for_an_envelope() -> None:
    with pytest.raises(LabError, match=r"does not start with k8s\\x00 .* not protobuf"):
        etcd.decode_envelope(b'{"kind":"ConfigMap"}')


def test_a_cut_envelope_is_one_sentence() -> None:
    with pytest.raises(LabError, match="ends inside a number"):
        etcd.decode_envelope(etcd.ENVELOPE_PREFIX + b"\x0a\x80")


def test_keys_are_grouped_by_their_folder() -> None:
    keys = [
        "/registry/configmaps/ns/a",
        "/registry/configmaps/ns/b",
        "/registry/minions/node-1",
        "/registry/services/specs/default/kubernetes",
        "/registry/apiregistration.k8s.io/apiservices/v1.apps",
        "/registry/namespaces/ns",
    ]
    assert etcd.keys_by_resource(keys) == {
        "configmaps": 2,
        "minions": 1,
        "services/specs": 1,
        "apiregistration.k8s.io/apiservices": 1,
        "namespaces": 1,
    }
    with pytest.raises(LabError, match="is not under"):
        etcd.resource_of("/other/configmaps/ns/a")


def test_etcdctl_is_pointed_at_the_api_servers_etcd(monkeypatch) -> None:
    monkeypatch.setattr(etcd, "etcd_tool", lambda name: f"/bin/{name}")
    ctl = etcd.etcdctl_for({"etcd-servers": "http://127.0.0.1:1,http://127.0.0.1:2"}, timeout=3)
    assert ctl.command("get", "/k") == [
        "/bin/etcdctl",
        "--endpoints=http://127.0.0.1:1,http://127.0.0.1:2",
        "--dial-timeout=2s",
        "--command-timeout=3s",
        "get",
        "/k",
    ]
    with pytest.raises(LabError, match="no --etcd-servers"):
        etcd.etcdctl_for({})
    with pytest.raises(LabError, match="TLS"):
        etcd.etcdctl_for({"etcd-servers": "https://127.0.0.1:1", "etcd-certfile": "c"})


def test_a_snapshot_is_saved_from_one_endpoint() -> None:
    with pytest.raises(LabError, match="from one endpoint, not from 2"):
        etcd.Etcdctl(("http://a", "http://b")).snapshot_save(Path("/tmp/x.db"))


def test_a_failing_etcdctl_is_quoted_in_one_sentence(tmp_path, monkeypatch) -> None:
    fake = tmp_path / "etcdctl"
    fake.write_text("#!/bin/sh\necho 'Error: context deadline exceeded' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setattr(etcd, "etcd_tool", lambda name: fake)
    with pytest.raises(etcd.EtcdctlFailed, match="^etcdctl put /k v failed: Error: context deadline exceeded$"):
        etcd.Etcdctl(("http://127.0.0.1:1",)).put("/k", "v")
    outcome, seconds = etcd.timed_put(etcd.Etcdctl(("http://127.0.0.1:1",)), "/k", "v")
    assert "deadline exceeded" in outcome and seconds >= 0


def test_a_restore_refuses_an_existing_data_dir(tmp_path) -> None:
    with pytest.raises(LabError, match="restores into a new data directory only"):
        etcd.restore_snapshot(tmp_path / "s.db", tmp_path, {})


def test_the_three_members_know_each_other(tmp_path) -> None:
    members = [
        etcd.Member(f"m{i}", f"http://127.0.0.1:{10 + i}", f"http://127.0.0.1:{20 + i}", tmp_path) for i in (0, 1)
    ]
    cluster = etcd.EtcdCluster(tmp_path, members, token="t")
    flags = cluster.flags(cluster.member("m1"))
    assert flags["initial-cluster"] == "m0=http://127.0.0.1:20,m1=http://127.0.0.1:21"
    assert flags["listen-client-urls"] == "http://127.0.0.1:11" and flags["initial-cluster-state"] == "new"
    with pytest.raises(LabError, match="no member is called 'm9'; there are m0, m1"):
        cluster.member("m9")


def test_an_unknown_etcd_tool_is_named_with_those_there_are() -> None:
    with pytest.raises(LabError, match="no etcd tool is called 'etcdadm'; there are etcd, etcdctl, etcdutl"):
        control_plane.etcd_tool("etcdadm")


def test_etcdctl_and_etcdutl_come_from_the_pinned_etcd_release_and_one_build() -> None:
    tools = binaries.component_named("etcd-tools")
    assert tools.version == pinned().etcd and tools.binaries == ("etcdctl", "etcdutl")
    urls = binaries.release_urls(tools)
    assert set(urls.values()) == {binaries.release_urls(binaries.component_named("etcd"))["etcd"]}
    plan = binaries.go_build_plan(tools)
    assert plan.module == "go.etcd.io/etcd/etcdctl/v3" and plan.also == ("go.etcd.io/etcd/etcdutl/v3",)
    assert plan.packages == {"etcdctl": "go.etcd.io/etcd/etcdctl/v3", "etcdutl": "go.etcd.io/etcd/etcdutl/v3"}


def test_both_tools_are_built_by_one_go_build(cache, monkeypatch) -> None:
    steps = []

    def step(name, args, cwd, log_file, log_path, timeout):
        steps.append(args)
        if args[0] == "build":
            out = args[args.index("-o") + 1]
            for binary in ("etcdctl", "etcdutl"):
                (Path(out) / binary).write_text("#!/bin/sh\n")

    monkeypatch.setattr(binaries.shutil, "which", lambda name: "/usr/bin/go")
    monkeypatch.setattr(binaries, "_step", step)
    tools = binaries.component_named("etcd-tools")
    tools.cache_dir.mkdir(parents=True)
    binaries.build(tools)
    go_mod = (paths.build_root() / f"etcd-tools-v{tools.version}" / "go.mod").read_text()
    assert f"require go.etcd.io/etcd/etcdutl/v3 v{tools.version}" in go_mod
    assert [s[0] for s in steps] == ["mod", "build"]
    assert steps[1][-2:] == ["go.etcd.io/etcd/etcdctl/v3", "go.etcd.io/etcd/etcdutl/v3"]
    assert sorted(p.name for p in tools.cache_dir.iterdir()) == ["etcdctl", "etcdutl"]
