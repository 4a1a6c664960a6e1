"""Find, download or build the cluster's binaries.

Each binary is looked for, in order:

1. in the directory named by ``THREEPLANES_BIN_DIR``;
2. in the cache, ``~/.cache/threeplanes/bin/<component>-<version>/``;
3. in the official release downloads (written into the cache);
4. built from source through the Go module proxy (written into the cache).

The build keeps Go's module and build caches (``go env GOMODCACHE GOCACHE``) so a
second build only links.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
import tarfile
import tempfile
import time
import tomllib
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from threeplanes.provision import paths
from threeplanes.versions import VERSIONS_FILE, Versions, pinned

BIN_DIR_ENV = "THREEPLANES_BIN_DIR"
BUILD_TIMEOUT = 3600  # seconds for one `go build`; a cold Kubernetes build on two cores takes about 20 minutes
GOOS = "linux"
GOARCH = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(os.uname().machine, "amd64")


class ProvisioningError(RuntimeError):
    """A binary could not be found, downloaded or built; the message says which step failed."""


class NoReleaseDownload(ProvisioningError):
    """The component publishes no release binary; it can only be built."""


@dataclass(frozen=True)
class Component:
    """A group of binaries released and built together."""

    name: str
    version: str
    binaries: tuple[str, ...]

    @property
    def cache_dir(self) -> Path:
        return paths.cache_root() / "bin" / f"{self.name}-v{self.version}"


def components(versions: Versions | None = None) -> list[Component]:
    v = versions or pinned()
    return [
        Component("kubernetes", v.kubernetes, ("kube-apiserver", "kube-controller-manager", "kube-scheduler")),
        Component("etcd", v.etcd, ("etcd",)),
        Component("kwok", v.kwok, ("kwok", "kwokctl")),
        Component("metrics-server", v.metrics_server, ("metrics-server",)),
    ]


def node_pins() -> dict[str, str]:
    """The versions of the real worker node's components (``[real-node]`` in ``versions.toml``)."""
    return dict(tomllib.loads(VERSIONS_FILE.read_text())["real-node"])


def node_components(versions: Versions | None = None) -> list[Component]:
    """The binaries of the real worker node, provisioned apart so the control plane never waits for them."""
    v = versions or pinned()
    pins = node_pins()
    return [
        Component("kubernetes-node", v.kubernetes, ("kubelet", "kube-proxy")),
        Component("containerd", pins["containerd"], ("containerd", "containerd-shim-runc-v2", "ctr")),
        Component("cri-tools", pins["cri-tools"], ("crictl",)),
        Component("coredns", pins["coredns"], ("coredns",)),
        # agnhost has no release binary: it is built from k8s.io/kubernetes at the control plane's pin.
        Component("agnhost", v.kubernetes, ("agnhost",)),
    ]


def ensure_node(versions: Versions | None = None) -> dict[str, Path]:
    """Return the path of every binary the real worker node needs, provisioning what is missing."""
    found: dict[str, Path] = {}
    for component in node_components(versions):
        found.update(ensure(component))
    return found


def log(message: str) -> None:
    print(f"[binaries] {message}", file=sys.stderr, flush=True)


def kind_component(versions: Versions | None = None) -> Component:
    """kind, needed only by the kind backend."""
    return Component("kind", (versions or pinned()).kind, ("kind",))


def ensure_all(versions: Versions | None = None) -> dict[str, Path]:
    """Return the path of every binary the local cluster needs, provisioning what is missing."""
    found: dict[str, Path] = {}
    for component in components(versions):
        found.update(ensure(component))
    return found


def ensure(component: Component) -> dict[str, Path]:
    """Return ``{binary name: path}`` for one component, trying each source in turn."""
    named = os.environ.get(BIN_DIR_ENV)
    if named:
        in_named = {b: Path(named) / b for b in component.binaries}
        if all(_is_executable(p) for p in in_named.values()):
            log(f"{component.name} v{component.version}: using {named} (from ${BIN_DIR_ENV})")
            return in_named
        missing = [b for b, p in in_named.items() if not _is_executable(p)]
        log(f"{component.name}: {named} lacks {', '.join(missing)}; looking further")

    cached = {b: component.cache_dir / b for b in component.binaries}
    if all(_is_executable(p) for p in cached.values()):
        log(f"{component.name} v{component.version}: cached in {component.cache_dir}")
        return cached

    component.cache_dir.mkdir(parents=True, exist_ok=True)
    try:
        download(component)
        log(f"{component.name} v{component.version}: downloaded into {component.cache_dir}")
    except NoReleaseDownload:
        log(f"{component.name} v{component.version}: no release binary is published; building from source")
        build(component)
    except (urllib.error.URLError, OSError, TimeoutError) as error:
        log(f"{component.name} v{component.version}: release download unreachable ({error}); building from source")
        build(component)
    missing = [b for b, p in cached.items() if not _is_executable(p)]
    if missing:
        raise ProvisioningError(f"{component.name}: {', '.join(missing)} missing from {component.cache_dir}")
    return cached


def _is_executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


# --- metrics-server's manifest ---------------------------------------------------------------


def metrics_server_manifest_url(version: str) -> str:
    """Where the release publishes metrics-server's manifest (kwokctl reads its RBAC and APIService)."""
    return f"https://github.com/kubernetes-sigs/metrics-server/releases/download/v{version}/components.yaml"


def metrics_server_manifest(kubectl: str) -> Path:
    """metrics-server's release manifest, in the cache: downloaded, or built with kustomize from its source."""
    component = next(c for c in components() if c.name == "metrics-server")
    target = component.cache_dir / "components.yaml"
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with urllib.request.urlopen(metrics_server_manifest_url(component.version), timeout=10) as reply:
            target.write_bytes(reply.read())
        return target
    except (urllib.error.URLError, OSError, TimeoutError):
        pass
    listing = _go(["mod", "download", "-json", f"sigs.k8s.io/metrics-server@v{component.version}"], cwd=None)
    match = re.search(r'"Dir":\s*"([^"]+)"', listing)
    if not match:
        raise ProvisioningError("go mod download did not report metrics-server's source directory")
    overlay = Path(match.group(1)) / "manifests" / "overlays" / "release"
    kustomize = [kubectl, "kustomize", str(overlay)]
    result = subprocess.run(kustomize, capture_output=True, text=True, check=False, timeout=120)
    if result.returncode != 0:
        raise ProvisioningError(f"kubectl kustomize {overlay} failed: {result.stderr.strip()}")
    target.write_text(result.stdout)
    return target


# --- Official release downloads -------------------------------------------------------------


def release_urls(component: Component) -> dict[str, str]:
    """Where each release binary (or the archive holding it) is published."""
    v = component.version
    if component.name in ("kubernetes", "kubernetes-node"):
        return {b: f"https://dl.k8s.io/release/v{v}/bin/{GOOS}/{GOARCH}/{b}" for b in component.binaries}
    if component.name == "containerd":
        archive = f"https://github.com/containerd/containerd/releases/download/v{v}/containerd-static-{v}-{GOOS}-{GOARCH}.tar.gz"
        return {b: archive for b in component.binaries}
    if component.name == "cri-tools":
        base = f"https://github.com/kubernetes-sigs/cri-tools/releases/download/v{v}"
        return {"crictl": f"{base}/crictl-v{v}-{GOOS}-{GOARCH}.tar.gz"}
    if component.name == "coredns":
        base = f"https://github.com/coredns/coredns/releases/download/v{v}"
        return {"coredns": f"{base}/coredns_{v}_{GOOS}_{GOARCH}.tgz"}
    if component.name == "agnhost":
        raise NoReleaseDownload("agnhost is published only as a container image")
    if component.name == "etcd":
        return {"etcd": f"https://github.com/etcd-io/etcd/releases/download/v{v}/etcd-v{v}-{GOOS}-{GOARCH}.tar.gz"}
    if component.name == "kwok":
        base = f"https://github.com/kubernetes-sigs/kwok/releases/download/v{v}"
        return {b: f"{base}/{b}-{GOOS}-{GOARCH}" for b in component.binaries}
    if component.name == "metrics-server":
        base = f"https://github.com/kubernetes-sigs/metrics-server/releases/download/v{v}"
        return {"metrics-server": f"{base}/metrics-server-{GOOS}-{GOARCH}"}
    if component.name == "kind":
        return {"kind": f"https://github.com/kubernetes-sigs/kind/releases/download/v{v}/kind-{GOOS}-{GOARCH}"}
    raise ProvisioningError(f"no release address known for {component.name}")


def download(component: Component, timeout: float = 10.0) -> None:
    for binary, url in release_urls(component).items():
        target = component.cache_dir / binary
        log(f"downloading {url}")
        with urllib.request.urlopen(url, timeout=timeout) as reply:
            with tempfile.NamedTemporaryFile(dir=component.cache_dir, suffix=".part", delete=False) as part:
                shutil.copyfileobj(reply, part)
        part_path = Path(part.name)
        if url.endswith((".tar.gz", ".tgz")):
            _extract_member(part_path, binary, target)
            part_path.unlink()
        else:
            part_path.replace(target)
        target.chmod(target.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def _extract_member(archive: Path, name: str, target: Path) -> None:
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            if Path(member.name).name == name and member.isfile():
                source = tar.extractfile(member)
                assert source is not None
                with open(target, "wb") as out:
                    shutil.copyfileobj(source, out)
                return
    raise ProvisioningError(f"{archive} holds no file named {name}")


# --- Build from source through the Go module proxy -----------------------------------------


@dataclass(frozen=True)
class GoBuild:
    """How one component is built: the module to require and the packages to build."""

    module: str
    version: str
    packages: dict[str, str]  # binary name -> package path
    ldflags: str = ""
    replace: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()


def go_build_plan(component: Component, versions: Versions | None = None) -> GoBuild:
    v = versions or pinned()
    if component.name in ("kubernetes", "kubernetes-node", "agnhost"):
        major, minor, _ = component.version.split(".")
        stamp = "k8s.io/component-base/version"
        ldflags = " ".join(
            [
                f"-X {stamp}.gitVersion=v{component.version}",
                f"-X {stamp}.gitMajor={major}",
                f"-X {stamp}.gitMinor={minor}",
                f"-X {stamp}.gitTreeState=clean",
                f"-X {stamp}.buildDate={time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}",
                "-s -w",
            ]
        )
        if component.name == "agnhost":
            packages = {"agnhost": "k8s.io/kubernetes/test/images/agnhost"}
        else:
            packages = {b: f"k8s.io/kubernetes/cmd/{b}" for b in component.binaries}
        return GoBuild(
            module="k8s.io/kubernetes",
            version=f"v{component.version}",
            packages=packages,
            ldflags=ldflags,
            replace=tuple(f"{m} => {m} v{v.kubernetes_staging}" for m in _staging_modules(component.version)),
        )
    if component.name == "containerd":
        stamp = "github.com/containerd/containerd/v2/version"
        return GoBuild(
            "github.com/containerd/containerd/v2",
            f"v{component.version}",
            {b: f"github.com/containerd/containerd/v2/cmd/{b}" for b in component.binaries},
            f"-X {stamp}.Version=v{component.version} -X {stamp}.Package=github.com/containerd/containerd/v2 -s -w",
            # The btrfs, devmapper and zfs snapshotters are left out: overlayfs is the one used here.
            tags=("no_btrfs", "no_devmapper", "no_zfs", "osusergo", "netgo", "static_build"),
        )
    if component.name == "cri-tools":
        return GoBuild(
            "sigs.k8s.io/cri-tools",
            f"v{component.version}",
            {"crictl": "sigs.k8s.io/cri-tools/cmd/crictl"},
            f"-X sigs.k8s.io/cri-tools/pkg/version.Version=v{component.version} -s -w",
        )
    if component.name == "coredns":
        return GoBuild(
            "github.com/coredns/coredns",
            f"v{component.version}",
            {"coredns": "github.com/coredns/coredns"},
            "-s -w",
        )
    if component.name == "etcd":
        return GoBuild(
            "go.etcd.io/etcd/server/v3", f"v{component.version}", {"etcd": "go.etcd.io/etcd/server/v3"}, "-s -w"
        )
    if component.name == "kwok":
        consts = "sigs.k8s.io/kwok/pkg/consts"
        ldflags = f"-X {consts}.Version=v{component.version} -X {consts}.KubeVersion=v{v.kubernetes} -s -w"
        return GoBuild(
            "sigs.k8s.io/kwok",
            f"v{component.version}",
            {b: f"sigs.k8s.io/kwok/cmd/{b}" for b in component.binaries},
            ldflags,
        )
    if component.name == "metrics-server":
        return GoBuild(
            "sigs.k8s.io/metrics-server",
            f"v{component.version}",
            {"metrics-server": "sigs.k8s.io/metrics-server/cmd/metrics-server"},
            f"-X sigs.k8s.io/metrics-server/pkg/version.gitVersion=v{component.version} -s -w",
        )
    if component.name == "kind":
        return GoBuild("sigs.k8s.io/kind", f"v{component.version}", {"kind": "sigs.k8s.io/kind"}, "-s -w")
    raise ProvisioningError(f"no build known for {component.name}")


def module_dir(module: str, version: str) -> Path:
    """The source directory of ``module@version`` in Go's module cache, downloaded through the proxy if needed."""
    if shutil.which("go") is None:
        raise ProvisioningError(f"Go is needed to read {module}@{version}'s source; install Go 1.26")
    listing = _go(["mod", "download", "-json", f"{module}@{version}"], cwd=None)
    match = re.search(r'"Dir":\s*"([^"]+)"', listing)
    if not match:
        raise ProvisioningError(f"go mod download did not report {module}@{version}'s source directory")
    return Path(match.group(1))


def _staging_modules(kubernetes_version: str) -> list[str]:
    """The k8s.io/* modules that k8s.io/kubernetes replaces with its ./staging copies."""
    go_mod = _go(["mod", "download", "-json", f"k8s.io/kubernetes@v{kubernetes_version}"], cwd=None)
    match = re.search(r'"GoMod":\s*"([^"]+)"', go_mod)
    if not match:
        raise ProvisioningError("go mod download did not report k8s.io/kubernetes's go.mod")
    text = Path(match.group(1)).read_text()
    return re.findall(r"^\s*(k8s\.io/[\w.-]+)\s+=>\s+\./staging/", text, flags=re.MULTILINE)


def build(component: Component) -> None:
    """Build ``component`` from source into its cache directory; logs go beside it."""
    if shutil.which("go") is None:
        raise ProvisioningError(
            f"{component.name} v{component.version}: the release download is unreachable and Go is not "
            "installed to build it from source. Install Go 1.26 or name a directory of binaries "
            f"with ${BIN_DIR_ENV}."
        )
    plan = go_build_plan(component)
    workdir = paths.cache_root() / "build" / f"{component.name}-v{component.version}"
    workdir.mkdir(parents=True, exist_ok=True)
    go_mod = [
        f"module threeplanes.build/{component.name}",
        "",
        "go 1.26.0",
        "",
        f"require {plan.module} {plan.version}",
    ]
    if plan.replace:
        go_mod += ["", "replace (", *(f"\t{line}" for line in plan.replace), ")"]
    (workdir / "go.mod").write_text("\n".join(go_mod) + "\n")
    log_path = workdir / "build.log"
    log(f"building {component.name} v{component.version} from source in {workdir} (log: {log_path})")
    with open(log_path, "a") as log_file:
        _step(
            f"resolve modules for {component.name}", ["mod", "download", "-x", plan.module], workdir, log_file, log_path
        )
        for binary, package in plan.packages.items():
            started = time.monotonic()
            log(f"  compiling {binary} ({package}); a cold build takes several minutes")
            args = ["build", "-mod=mod", "-trimpath", "-o", str(component.cache_dir / binary)]
            if plan.ldflags:
                args += ["-ldflags", plan.ldflags]
            if plan.tags:
                args += ["-tags", ",".join(plan.tags)]
            _step(f"compile {binary}", [*args, package], workdir, log_file, log_path)
            log(f"  {binary} built in {time.monotonic() - started:.0f} s")


def _step(name: str, args: list[str], cwd: Path, log_file, log_path: Path) -> None:
    log_file.write(f"\n$ go {' '.join(args)}\n")
    log_file.flush()
    env = {**os.environ, "CGO_ENABLED": "0", "GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local"}
    try:
        result = subprocess.run(
            ["go", *args],
            cwd=cwd,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=env,
            check=False,
            timeout=BUILD_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        raise ProvisioningError(f"build step '{name}' took longer than {BUILD_TIMEOUT} s; log: {log_path}") from None
    if result.returncode != 0:
        tail = log_path.read_text().splitlines()[-15:]
        raise ProvisioningError(
            f"build step '{name}' failed (exit {result.returncode}); log: {log_path}\n" + "\n".join(tail)
        )


def _go(args: list[str], cwd: Path | None) -> str:
    env = {**os.environ, "GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local"}
    result = subprocess.run(
        ["go", *args],
        cwd=cwd or tempfile.gettempdir(),
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=BUILD_TIMEOUT,
    )
    if result.returncode != 0:
        raise ProvisioningError(f"go {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout
