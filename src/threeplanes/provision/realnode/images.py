"""Container images for the real node, built on this machine without a registry.

Each image is one uncompressed layer written as an OCI image layout (``oci-layout``,
``index.json``, ``blobs/sha256/...``) inside a tar archive, which ``ctr images import`` reads.
The index names the image (``io.containerd.image.name``) with the reference pinned in
``versions.toml``, so a pod asking for that reference with ``imagePullPolicy: IfNotPresent``
finds it and nothing is pulled.

- pause: kubernetes' ``build/pause/linux/pause.c`` at the pinned release, compiled with ``gcc -static``;
- agnhost: the binary built from ``k8s.io/kubernetes/test/images/agnhost`` at the same release,
  with Debian's static busybox for a shell (the published image is Alpine-based);
- busybox: Debian's static busybox (``busybox-static``) with a link per applet.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

from threeplanes.errors import ProvisioningError
from threeplanes.provision import processes

BUSYBOX = Path("/bin/busybox")
DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
EPOCH = 0  # every file in a layer has this mtime, so the same inputs give the same digest


@dataclass(frozen=True)
class ImageFile:
    """One entry of a layer: a regular file copied from ``source``, a symlink to ``link``, or a directory."""

    path: str
    source: Path | None = None
    link: str | None = None
    mode: int = 0o755


@dataclass(frozen=True)
class Image:
    reference: str  # e.g. registry.k8s.io/pause:3.10.2
    files: tuple[ImageFile, ...]
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    user: str = ""
    labels: dict[str, str] = field(default_factory=dict)


def layer_tar(files: tuple[ImageFile, ...]) -> bytes:
    """An uncompressed, reproducible layer tarball of ``files``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for entry in sorted(files, key=lambda f: f.path):
            info = tarfile.TarInfo(entry.path.lstrip("/"))
            info.mtime = EPOCH
            info.mode = entry.mode
            if entry.link is not None:
                info.type = tarfile.SYMTYPE
                info.linkname = entry.link
                tar.addfile(info)
            elif entry.source is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                data = entry.source.read_bytes()
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _blob(data: bytes) -> tuple[str, bytes]:
    return "sha256:" + hashlib.sha256(data).hexdigest(), data


def oci_archive(image: Image, architecture: str = "amd64") -> bytes:
    """The image as a tar of an OCI image layout, ready for ``ctr images import``."""
    layer_digest, layer = _blob(layer_tar(image.files))
    config = {
        "architecture": architecture,
        "os": "linux",
        "config": {
            "Env": [DEFAULT_PATH],
            "Entrypoint": list(image.entrypoint) or None,
            "Cmd": list(image.cmd) or None,
            "WorkingDir": "/",
            "User": image.user,
            "Labels": image.labels or None,
        },
        "rootfs": {"type": "layers", "diff_ids": [layer_digest]},
        "history": [{"created_by": "threeplanes (built on this machine, see threeplanes.provision.realnode.images)"}],
    }
    config_digest, config_bytes = _blob(json.dumps(config, sort_keys=True).encode())
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": config_digest,
            "size": len(config_bytes),
        },
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer_digest, "size": len(layer)}],
    }
    manifest_digest, manifest_bytes = _blob(json.dumps(manifest, sort_keys=True).encode())
    tag = image.reference.rsplit(":", 1)[1]
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": manifest_digest,
                "size": len(manifest_bytes),
                "platform": {"architecture": architecture, "os": "linux"},
                "annotations": {"io.containerd.image.name": image.reference, "org.opencontainers.image.ref.name": tag},
            }
        ],
    }
    entries = {
        "oci-layout": json.dumps({"imageLayoutVersion": "1.0.0"}).encode(),
        "index.json": json.dumps(index, sort_keys=True).encode(),
    }
    for digest, data in ((layer_digest, layer), (config_digest, config_bytes), (manifest_digest, manifest_bytes)):
        entries[f"blobs/sha256/{digest.split(':')[1]}"] = data
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name in ("blobs", "blobs/sha256"):
            info = tarfile.TarInfo(name)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, EPOCH
            tar.addfile(info)
        for name, data in entries.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, EPOCH
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def busybox_files(busybox: Path = BUSYBOX) -> tuple[ImageFile, ...]:
    """A static busybox at /bin/busybox, a link per applet in /bin, and the directories a shell expects."""
    if not busybox.is_file():
        raise ProvisioningError(f"{busybox} is missing; install Debian's busybox-static (scripts/system-deps.sh does)")
    listing = processes.run([str(busybox), "--list"], timeout=10, capture_output=True).stdout
    applets = sorted(set(listing.split()) - {"busybox"})
    if "sh" not in applets:
        raise ProvisioningError(f"{busybox} --list did not list a shell; is it busybox-static?")
    files = [ImageFile(d) for d in ("bin", "etc", "proc", "sys", "dev", "root", "var")]
    files += [ImageFile("tmp", mode=0o1777), ImageFile("bin/busybox", source=busybox)]
    files += [ImageFile(f"bin/{a}", link="busybox") for a in applets]
    return tuple(files)


def compile_pause(source: Path, target: Path, version: str) -> Path:
    """Compile kubernetes' pause.c into a static binary (``gcc -static``)."""
    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler is None:
        raise ProvisioningError("no C compiler (gcc) to build the pause image; install gcc")
    target.parent.mkdir(parents=True, exist_ok=True)
    command = [compiler, "-Os", "-static", f"-DVERSION=v{version}", "-o", str(target), str(source)]
    what = f"`{Path(compiler).name} -static` of kubernetes' pause.c"
    processes.run(command, timeout=120, what=what, capture_output=True)
    return target


def pause_image(reference: str, pause_binary: Path) -> Image:
    return Image(
        reference,
        (ImageFile("pause", source=pause_binary),),
        entrypoint=("/pause",),
        user="65535:65535",
    )


def agnhost_image(reference: str, agnhost: Path, busybox: Path = BUSYBOX) -> Image:
    files = (*busybox_files(busybox), ImageFile("agnhost", source=agnhost), ImageFile("uploads"))
    return Image(reference, files, entrypoint=("/agnhost",), cmd=("pause",))


def busybox_image(reference: str, busybox: Path = BUSYBOX) -> Image:
    return Image(reference, busybox_files(busybox), cmd=("sh",))
