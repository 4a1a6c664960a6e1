"""Find, download or build the cluster's binaries.

Each binary is looked for, in order:

1. in the directory named by ``THREEPLANES_BIN_DIR``;
2. in the cache, ``~/.cache/threeplanes/bin/<component>-<version>/``;
3. in the official release downloads, each checked against the checksum its release
   publishes (written into the cache only once verified);
4. built from source through the Go module proxy (written into the cache), when the
   downloads cannot be reached or cannot be verified.

A download that answers with an HTTP error (a 404 from a wrong pin) stops with that error:
only an unreachable network falls back to the build. The build keeps Go's module and
build caches (``go env GOMODCACHE GOCACHE``) so a second build only links.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import shutil
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from filelock import FileLock, Timeout

from threeplanes.errors import ProvisioningError
from threeplanes.provision import paths, processes
from threeplanes.provision.say import log
from threeplanes.versions import Versions, pinned

__all__ = ["ProvisioningError", "Component", "components", "component_named", "ensure", "ensure_all"]

BIN_DIR_ENV = "THREEPLANES_BIN_DIR"
GOOS = "linux"
GOARCH = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(os.uname().machine, "amd64")
DOWNLOAD_TIMEOUT_S = 10.0  # per network operation, not for the whole file
PROVISION_LOCK_WAIT_S = 3600  # a cold build of the Kubernetes binaries takes up to twenty minutes on two cores
BUILD_TIMEOUT_S = 40 * 60  # per binary: a cold kube-apiserver build on two cores takes about 10 minutes
RESOLVE_TIMEOUT_S = 20 * 60  # downloading a component's modules through the proxy
BUILD_SPACE_BYTES = 8 * 2**30  # Go's build cache (~3.6 GiB) and module cache (~1.8 GiB) for Kubernetes, plus room


class ReleaseFileMissing(ProvisioningError):
    """A release address answered 404: the pinned version publishes no such file."""


class Unreachable(Exception):
    """The release downloads cannot be reached (no network, DNS, a firewall): build instead."""


class Unverifiable(Exception):
    """The release publishes no checksum for a file: build it instead of trusting it."""


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
        return paths.bin_cache() / f"{self.name}-v{self.version}"


def components(versions: Versions | None = None) -> list[Component]:
    v = versions or pinned()
    return [
        Component("kubernetes", v.kubernetes, ("kube-apiserver", "kube-controller-manager", "kube-scheduler")),
        Component("etcd", v.etcd, ("etcd",)),
        # etcd's client and its offline tool, from the same etcd release: the system plane's labs read
        # etcd with them, take a snapshot and restore it.
        Component("etcd-tools", v.etcd, ("etcdctl", "etcdutl")),
        # kubeadm, at the same release: the lab that assembles a control plane by hand compares its certificates
        # and kubeconfigs with the ones kubeadm makes.
        Component("kubeadm", v.kubernetes, ("kubeadm",)),
        Component("kwok", v.kwok, ("kwok", "kwokctl")),
        Component("metrics-server", v.metrics_server, ("metrics-server",)),
    ]


def component_named(name: str, versions: Versions | None = None) -> Component:
    """The component called ``name`` (``kubernetes``, ``etcd``, ``etcd-tools``, ``kubeadm``, ``kwok``,
    ``metrics-server``, ``kind``, ``prometheus``)."""
    for found in [*components(versions), *tool_components(versions), kind_component(versions)]:
        if found.name == name:
            return found
    raise ProvisioningError(f"no component is called {name!r}.")


def node_components(versions: Versions | None = None) -> list[Component]:
    """The binaries of the real worker node, provisioned apart so the control plane never waits for them."""
    v = versions or pinned()
    return [
        Component("kubernetes-node", v.kubernetes, ("kubelet", "kube-proxy")),
        Component("containerd", v.containerd, ("containerd", "containerd-shim-runc-v2", "ctr")),
        Component("cri-tools", v.cri_tools, ("crictl",)),
        Component("coredns", v.coredns, ("coredns",)),
        # agnhost has no release binary: it is built from k8s.io/kubernetes at the control plane's pin.
        Component("agnhost", v.kubernetes, ("agnhost",)),
    ]


def tool_components(versions: Versions | None = None) -> list[Component]:
    """Programs that labs start for themselves and the cluster never needs (built only when a lab asks)."""
    v = versions or pinned()
    # Prometheus, the monitoring lab's server.
    return [Component("prometheus", v.prometheus, ("prometheus",))]


def ensure_node(versions: Versions | None = None) -> dict[str, Path]:
    """Return the path of every binary the real worker node needs, provisioning what is missing."""
    found: dict[str, Path] = {}
    for component in node_components(versions):
        found.update(ensure(component))
    return found


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
            log("binaries", f"{component.name} v{component.version}: using {named} (from ${BIN_DIR_ENV})")
            return in_named
        missing = [b for b, p in in_named.items() if not _is_executable(p)]
        log("binaries", f"{component.name}: {named} lacks {', '.join(missing)}; looking further")

    cached = {b: component.cache_dir / b for b in component.binaries}
    if all(_is_executable(p) for p in cached.values()):
        log("binaries", f"{component.name} v{component.version}: cached in {component.cache_dir}")
        return cached

    # One provisioning of a component at a time on this machine (tests side by side may each ask for it);
    # whoever waited finds the binaries the other one made.
    locks = paths.cache_root() / "locks"
    locks.mkdir(parents=True, exist_ok=True)
    lock = FileLock(locks / f"{component.cache_dir.name}.lock", timeout=PROVISION_LOCK_WAIT_S)
    try:
        lock.acquire()
    except Timeout:
        raise ProvisioningError(
            f"another process has been provisioning {component.name} for {PROVISION_LOCK_WAIT_S} s; try again."
        ) from None
    try:
        if not all(_is_executable(p) for p in cached.values()):
            _provision(component)
    finally:
        lock.release()
    missing = [b for b, p in cached.items() if not _is_executable(p)]
    if missing:
        raise ProvisioningError(f"{component.name}: {', '.join(missing)} missing from {component.cache_dir}")
    return cached


def _provision(component: Component) -> None:
    """Download the component's binaries into its cache folder, or build them there."""
    component.cache_dir.mkdir(parents=True, exist_ok=True)
    try:
        download(component)
        log("binaries", f"{component.name} v{component.version}: downloaded and verified into {component.cache_dir}")
    except NoReleaseDownload:
        log("binaries", f"{component.name} v{component.version}: no release binary is published; building from source")
        build(component)
    except Unreachable as error:
        log(
            "binaries",
            f"{component.name} v{component.version}: release downloads unreachable ({error}); building from source",
        )
        build(component)
    except Unverifiable as error:
        log("binaries", f"{component.name} v{component.version}: {error}; building from source instead")
        build(component)


def _is_executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def places(component: Component) -> list[Path]:
    """Where ``component``'s binaries are looked for before any download, in order: the directory
    ``$THREEPLANES_BIN_DIR`` names, then the cache."""
    named = os.environ.get(BIN_DIR_ENV)
    return [*([Path(named)] if named else []), component.cache_dir]


def installed(binary: str) -> Path | None:
    """Where ``binary`` (``kwokctl``, ``crictl``, ...) already is, without provisioning it; None when nowhere."""
    for component in [*components(), *node_components(), *tool_components(), kind_component()]:
        if binary in component.binaries:
            return next((p for folder in places(component) if _is_executable(p := folder / binary)), None)
    return None


# --- metrics-server's manifest ---------------------------------------------------------------


def metrics_server_manifest_url(version: str) -> str:
    """Where the release publishes metrics-server's manifest (kwokctl reads its RBAC and APIService)."""
    return f"https://github.com/kubernetes-sigs/metrics-server/releases/download/v{version}/components.yaml"


def metrics_server_manifest(kubectl: str) -> Path:
    """metrics-server's release manifest, in the cache: downloaded, or built with kustomize from its source."""
    metrics_server = component_named("metrics-server")
    target = metrics_server.cache_dir / "components.yaml"
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        _write_atomically(target, fetch(metrics_server_manifest_url(metrics_server.version)))
        return target
    except Unreachable:
        pass
    listing = _go(["mod", "download", "-json", f"sigs.k8s.io/metrics-server@v{metrics_server.version}"], cwd=None)
    match = re.search(r'"Dir":\s*"([^"]+)"', listing)
    if not match:
        raise ProvisioningError("go mod download did not report metrics-server's source directory.")
    overlay = Path(match.group(1)) / "manifests" / "overlays" / "release"
    result = processes.run([kubectl, "kustomize", str(overlay)], capture_output=True, timeout=120)
    _write_atomically(target, result.stdout.encode())
    return target


def _write_atomically(target: Path, data: bytes) -> None:
    with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".part", delete=False) as part:
        part.write(data)
    Path(part.name).replace(target)


# --- Official release downloads -------------------------------------------------------------

# Where each component's release publishes checksums. kwok and metrics-server attach no
# checksum file to their releases; GitHub publishes a sha256 digest of every release asset
# through its releases API, which is used for those two.
GITHUB_REPOSITORIES = {"kwok": "kubernetes-sigs/kwok", "metrics-server": "kubernetes-sigs/metrics-server"}


def release_urls(component: Component) -> dict[str, str]:
    """Where each release binary (or the archive holding it) is published."""
    v = component.version
    if component.name in ("kubernetes", "kubernetes-node", "kubeadm"):
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
    if component.name in ("etcd", "etcd-tools"):  # one archive holds etcd, etcdctl and etcdutl
        archive = f"https://github.com/etcd-io/etcd/releases/download/v{v}/etcd-v{v}-{GOOS}-{GOARCH}.tar.gz"
        return {b: archive for b in component.binaries}
    if component.name == "kwok":
        base = f"https://github.com/kubernetes-sigs/kwok/releases/download/v{v}"
        return {b: f"{base}/{b}-{GOOS}-{GOARCH}" for b in component.binaries}
    if component.name == "metrics-server":
        base = f"https://github.com/kubernetes-sigs/metrics-server/releases/download/v{v}"
        return {"metrics-server": f"{base}/metrics-server-{GOOS}-{GOARCH}"}
    if component.name == "kind":
        return {"kind": f"https://github.com/kubernetes-sigs/kind/releases/download/v{v}/kind-{GOOS}-{GOARCH}"}
    if component.name == "prometheus":
        base = f"https://github.com/prometheus/prometheus/releases/download/v{v}"
        return {"prometheus": f"{base}/prometheus-{v}.{GOOS}-{GOARCH}.tar.gz"}
    raise ProvisioningError(f"no release address is known for {component.name}.")


@contextmanager
def _opened(url: str) -> Iterator[Any]:
    """The reply from ``url``, read inside the block. An HTTP error (a 404 from a wrong pin) raises
    ``ProvisioningError``; a network that cannot be reached, or drops mid-way, raises ``Unreachable``."""
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as reply:
            yield reply
    except urllib.error.HTTPError as error:
        if error.code == 404:
            raise ReleaseFileMissing(
                f"{url} does not exist (HTTP 404): the version pinned in versions.toml has no such release file."
            ) from None
        raise ProvisioningError(f"{url} answered HTTP {error.code} {error.reason}; try again later.") from None
    except (urllib.error.URLError, TimeoutError, ConnectionError, http.client.HTTPException) as error:
        raise Unreachable(f"{url}: {getattr(error, 'reason', error)}") from None


def fetch(url: str) -> bytes:
    """The whole body at ``url`` (checksum files, manifests)."""
    with _opened(url) as reply:
        return reply.read()


def published_sha256(component: Component, url: str) -> str:
    """The sha256 that the release publishes for the file at ``url``."""
    file_name = url.rsplit("/", 1)[1]
    if component.name in ("kubernetes", "kubernetes-node", "kubeadm"):  # dl.k8s.io: <binary>.sha256, the bare digest
        return fetch(f"{url}.sha256").decode().split()[0]
    if component.name == "kind":  # kind: <binary>.sha256sum in sha256sum's format
        return fetch(f"{url}.sha256sum").decode().split()[0]
    if component.name in ("etcd", "etcd-tools", "prometheus"):  # one sums file for the release
        sums_file = "sha256sums.txt" if component.name == "prometheus" else "SHA256SUMS"
        sums = fetch(url.rsplit("/", 1)[0] + "/" + sums_file).decode()
        for line in sums.splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[1].lstrip("*") == file_name:
                return parts[0]
        raise Unverifiable(f"{component.name}'s {sums_file} lists no {file_name}")
    if component.name in GITHUB_REPOSITORIES:
        api = f"https://api.github.com/repos/{GITHUB_REPOSITORIES[component.name]}/releases/tags/v{component.version}"
        try:
            release = json.loads(fetch(api))
        except ReleaseFileMissing:
            raise
        except ProvisioningError as error:  # GitHub's API limits unauthenticated callers (403, 429)
            raise Unverifiable(f"GitHub's release API gave no checksum: {error}") from None
        digest = next((a.get("digest") or "" for a in release.get("assets", []) if a.get("name") == file_name), "")
        if digest.startswith("sha256:"):
            return digest.removeprefix("sha256:")
        raise Unverifiable(f"the {component.name} v{component.version} release publishes no checksum of {file_name}")
    raise Unverifiable(f"no checksum source is known for {component.name}")


def download(component: Component) -> None:
    """Download, verify and unpack every binary of ``component``; the cache receives only verified files."""
    component.cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=component.cache_dir.parent, prefix=f".{component.cache_dir.name}-") as tmp:
        staged = Path(tmp)
        for binary, url in release_urls(component).items():
            log("binaries", f"downloading {url}")
            expected = published_sha256(component, url)
            part = staged / url.rsplit("/", 1)[1]
            digest = _download_to(url, part)
            if digest != expected.lower():
                raise ProvisioningError(
                    f"{url} did not match its published sha256 ({digest} instead of {expected}); "
                    "the download was discarded, try again."
                )
            if url.endswith((".tar.gz", ".tgz")):
                _extract_member(part, binary, staged / binary)
            elif part.name != binary:
                part.rename(staged / binary)
            (staged / binary).chmod(0o755)
        for binary in component.binaries:
            (staged / binary).replace(component.cache_dir / binary)


def _download_to(url: str, target: Path) -> str:
    """Stream ``url`` into ``target``; return the sha256 of what arrived."""
    digest = hashlib.sha256()
    with _opened(url) as reply, open(target, "wb") as out:
        while chunk := reply.read(1 << 20):
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def _extract_member(archive: Path, name: str, target: Path) -> None:
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            if Path(member.name).name == name and member.isfile():
                source = tar.extractfile(member)
                if source is None:
                    break
                with open(target, "wb") as out:
                    shutil.copyfileobj(source, out)
                return
    raise ProvisioningError(f"the release archive {archive.name} holds no file named {name}.")


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
    # Further modules to require, whose packages are built with the first module's in one ``go build``
    # (each binary named after its package's last element, a module's /vN left out).
    also: tuple[str, ...] = ()


def go_build_plan(component: Component, versions: Versions | None = None) -> GoBuild:
    v = versions or pinned()
    if component.name in ("kubernetes", "kubernetes-node", "kubeadm", "agnhost"):
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
    if component.name == "etcd-tools":  # two modules of the etcd repository, built in one step
        tools = {b: f"go.etcd.io/etcd/{b}/v3" for b in component.binaries}
        first, *others = tools.values()
        return GoBuild(first, f"v{component.version}", tools, "-s -w", also=tuple(others))
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
    if component.name == "prometheus":
        # Prometheus 3 tags its Go module v0.3MM.P for its release 3.MM.P (3.16.0 is v0.316.0).
        major, minor, patch = (int(part) for part in component.version.split("."))
        stamp = "github.com/prometheus/common/version"
        return GoBuild(
            "github.com/prometheus/prometheus",
            f"v0.{major * 100 + minor}.{patch}",
            {"prometheus": "github.com/prometheus/prometheus/cmd/prometheus"},
            f"-X {stamp}.Version={component.version} -X {stamp}.Branch=HEAD -s -w",
            # remove_all_sd leaves out every service-discovery plugin but static, file and HTTP (plugins/);
            # without builtinassets the web UI is left out and the HTTP API still answers.
            tags=("netgo", "remove_all_sd"),
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
            f"{component.name} v{component.version} can be neither downloaded (the release downloads are "
            "unreachable) nor built (Go is not installed): install Go 1.26, or name a directory of binaries "
            f"with ${BIN_DIR_ENV}."
        )
    workdir = paths.build_root() / f"{component.name}-v{component.version}"
    workdir.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(workdir).free
    if free < BUILD_SPACE_BYTES:
        raise ProvisioningError(
            f"building {component.name} from source needs about {BUILD_SPACE_BYTES / 2**30:.0f} GiB free for Go's "
            f"caches, and only {free / 2**30:.1f} GiB is free under {workdir}; free some space and try again."
        )
    plan = go_build_plan(component)
    go_mod = [
        f"module threeplanes.build/{component.name}",
        "",
        "go 1.26.0",
        "",
        *(f"require {module} {plan.version}" for module in (plan.module, *plan.also)),
    ]
    if plan.replace:
        go_mod += ["", "replace (", *(f"\t{line}" for line in plan.replace), ")"]
    (workdir / "go.mod").write_text("\n".join(go_mod) + "\n")
    log_path = workdir / "build.log"
    out_dir = workdir / "out"
    out_dir.mkdir(exist_ok=True)
    log("binaries", f"building {component.name} v{component.version} from source in {workdir} (log: {log_path})")
    with open(log_path, "a") as log_file:
        _step(
            f"resolve modules for {component.name}",
            ["mod", "download", "-x", plan.module, *plan.also],
            workdir,
            log_file,
            log_path,
            RESOLVE_TIMEOUT_S,
        )
        if plan.also:
            _build_together(plan, component, workdir, out_dir, log_file, log_path)
            return
        for binary, package in plan.packages.items():
            started = time.monotonic()
            log("binaries", f"  compiling {binary} ({package}); a cold build takes several minutes")
            # Built beside the workspace and moved in whole: the cache never holds a half-written binary.
            args = ["build", "-mod=mod", "-trimpath", "-o", str(out_dir / binary)]
            if plan.ldflags:
                args += ["-ldflags", plan.ldflags]
            if plan.tags:
                args += ["-tags", ",".join(plan.tags)]
            _step(f"compile {binary}", [*args, package], workdir, log_file, log_path, BUILD_TIMEOUT_S)
            (out_dir / binary).replace(component.cache_dir / binary)
            log("binaries", f"  {binary} built in {time.monotonic() - started:.0f} s")


def _build_together(
    plan: GoBuild, component: Component, workdir: Path, out_dir: Path, log_file: IO[str], log_path: Path
) -> None:
    """Every package of ``plan`` in one ``go build -o <dir>/``, which names each binary after its package."""
    started = time.monotonic()
    names = ", ".join(plan.packages)
    log("binaries", f"  compiling {names} in one build; a cold build takes several minutes")
    args = ["build", "-mod=mod", "-trimpath", "-o", f"{out_dir}{os.sep}"]
    if plan.ldflags:
        args += ["-ldflags", plan.ldflags]
    _step(f"compile {names}", [*args, *plan.packages.values()], workdir, log_file, log_path, BUILD_TIMEOUT_S)
    for binary in plan.packages:
        (out_dir / binary).replace(component.cache_dir / binary)
    log("binaries", f"  {names} built in {time.monotonic() - started:.0f} s")


def _go_env() -> dict[str, str]:
    return {**os.environ, "CGO_ENABLED": "0", "GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local"}


def _step(name: str, args: list[str], cwd: Path, log_file: IO[str], log_path: Path, timeout: float) -> None:
    log_file.write(f"\n$ go {' '.join(args)}\n")
    log_file.flush()
    try:
        processes.run(
            ["go", *args],
            cwd=cwd,
            stdout=log_file,
            stderr=processes.STDOUT,
            env=_go_env(),
            timeout=timeout,
            what=f"build step '{name}' (log: {log_path})",
        )
    except processes.CommandFailed as failure:  # its words went to the log: quote the log's last lines
        tail = processes.last_lines(log_path.read_text(), 15)
        raise ProvisioningError("\n".join([str(failure), *tail])) from None


def _go(args: list[str], cwd: Path | None, timeout: float = RESOLVE_TIMEOUT_S) -> str:
    result = processes.run(
        ["go", *args], cwd=cwd or tempfile.gettempdir(), capture_output=True, env=_go_env(), timeout=timeout
    )
    return result.stdout
